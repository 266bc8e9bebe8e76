"""Fuzzing replication, for testers and for the test suite alike.

:mod:`~locanext.fuzz.machine` is a hypothesis state machine of installs (real cr-sqlite) and
central (real PostgreSQL) over a faulty network; :mod:`~locanext.fuzz.oracle` says what converged
means, against a cr-sqlite hub; :mod:`~locanext.fuzz.mutations` breaks the merge on purpose;
:mod:`~locanext.fuzz.campaign` runs seeded rounds and replays failures (`locanext fuzz`).
"""
