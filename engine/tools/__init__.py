"""Localization tools.

A tool (``xls_transfer``, ``quick_search`` ...) offers one or more functions (``build_dictionary``,
``transfer_excel`` ...). The shared types live in :mod:`engine.tools.base`; each tool package
declares its ``TOOL`` with them; :mod:`engine.tools.registry` lists the tools, finds a function by
name and validates its parameters. Nothing here imports a tool package, so the packages and the
registry never import each other in a circle.
"""
