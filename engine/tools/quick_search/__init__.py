"""Quick Search: dictionaries per game and language, search, and glossary checks.

Each function lives in its own module; this one only declares the tool.
"""

from __future__ import annotations

from engine.tools.base import Function, NoParams, Tool
from engine.tools.quick_search import checks, dictionary, glossary, search

TOOL = Tool(
    name="quick_search",
    title="Quick Search",
    description="Search dictionaries of game strings and check translations against a glossary.",
    functions=(
        Function(
            name="build_dictionary",
            title="Build dictionary",
            description="Read LocStr XML/TXT (or PO, XLIFF, TMX) files and folders into the "
            "dictionary <game>-<language>.",
            run=dictionary.build,
            params=dictionary.BuildParams,
        ),
        Function(
            name="list_dictionaries",
            title="List dictionaries",
            description="The dictionaries built so far.",
            run=dictionary.list_all,
            params=NoParams,
        ),
        Function(
            name="search",
            title="Search",
            description="Find strings by source, translation or StringID (contains or exact, "
            "one or many lines), with a reference dictionary beside; results paged.",
            run=search.run,
            params=search.SearchParams,
        ),
        Function(
            name="extract_glossary",
            title="Extract glossary",
            description="Short source strings that recur inside other strings, with their most "
            "common translation.",
            run=glossary.extract,
            params=glossary.ExtractParams,
        ),
        Function(
            name="line_check",
            title="Line check",
            description="Same source text, different translations.",
            run=checks.line_check,
            params=checks.LineCheckParams,
        ),
        Function(
            name="term_check",
            title="Term check",
            description="A glossary term in the source whose glossary translation is missing "
            "from the translation.",
            run=glossary.term_check,
            params=glossary.TermCheckParams,
        ),
        Function(
            name="pattern_check",
            title="Pattern check",
            description="Code tags ({..}, <PAColor..>, <PAOldColor>) differ between source and "
            "translation.",
            run=checks.pattern_check,
            params=checks.PatternCheckParams,
        ),
        Function(
            name="character_count_check",
            title="Character count check",
            description="A symbol occurs a different number of times in source and translation.",
            run=checks.character_count_check,
            params=checks.CharacterCountParams,
        ),
    ),
)
