"""The team glossary on real engine.db files (cr-sqlite): search, filters, edits, and the states
read from the clocks: waiting to sync, and contested after a concurrent edit elsewhere."""

from __future__ import annotations

import pytest

from engine import sync_state
from engine.db import Database
from engine.glossary import BadTerm, Filters, Glossary, NoSuchTerm

CHANGE = "[table], pk, cid, val, col_version, db_version, site_id, cl, seq"


def deliver(source: Database, target: Database) -> None:
    """What a push and a pull do between two installs: ``source``'s own changes merged into
    ``target`` by cr-sqlite."""
    with source.read() as conn:
        rows = conn.execute(
            f"SELECT {CHANGE} FROM crsql_changes WHERE site_id = crsql_site_id()"
        ).fetchall()
    with target.write() as conn:
        conn.executemany(f"INSERT INTO crsql_changes ({CHANGE}) VALUES (?,?,?,?,?,?,?,?,?)", rows)


def acknowledge(db: Database) -> None:
    """As if central had acknowledged every change of ``db`` so far."""
    with db.write() as conn:
        version = conn.execute("SELECT crsql_db_version()").fetchone()[0]
        sync_state.advance_acked(conn, version)


def test_search_filters_sort_and_page(make_db) -> None:
    glossary = Glossary(make_db())
    for source, translation, game, language in [
        ("검", "Sword", "dragon", "en"),
        ("방패", "Shield", "dragon", "en"),
        ("검", "Épée", "dragon", "fr"),
        ("마법", "Magic", "island", "en"),
    ]:
        glossary.add(
            {"source": source, "translation": translation, "game": game, "language": language}
        )
    everything = glossary.page()
    assert everything.total == 4
    assert [r.term.source for r in everything.rows] == ["검", "검", "마법", "방패"]
    english = glossary.page(Filters(game="dragon", language="en"))
    assert {r.term.translation for r in english.rows} == {"Sword", "Shield"}
    assert [r.term.translation for r in glossary.page(Filters(text="épée")).rows] == []
    assert [r.term.translation for r in glossary.page(Filters(text="Épée")).rows] == ["Épée"]
    assert [r.term.source for r in glossary.page(Filters(text="마")).rows] == ["마법"]
    by_translation = glossary.page(sort="translation", descending=True, offset=1, limit=2)
    # Épée, Sword, Shield, Magic: code point order (Hangul syllables sort as in a dictionary).
    assert [r.term.translation for r in by_translation.rows] == ["Sword", "Shield"]
    assert by_translation.total == 4
    assert glossary.facets() == (["dragon", "island"], ["en", "fr"])
    assert glossary.pairs("dragon", "en") == [("검", "Sword"), ("방패", "Shield")]
    # A wildcard typed by the user is a character, not a pattern.
    assert glossary.page(Filters(text="%")).total == 0


def test_edits_are_checked_and_a_missing_term_is_named(make_db) -> None:
    glossary = Glossary(make_db())
    with pytest.raises(BadTerm, match="source"):
        glossary.add({"source": "  ", "translation": "x"})
    with pytest.raises(BadTerm, match="one line"):
        glossary.add({"source": "a\tb", "translation": "x"})
    with pytest.raises(BadTerm, match="no colour"):
        glossary.add({"source": "a", "translation": "x", "colour": "red"})
    term = glossary.add({"source": " 검 ", "translation": "Sword", "note": "무기\n(weapon)"})
    assert (term.source, term.note) == ("검", "무기\n(weapon)")
    assert glossary.update(term.id, {"translation": "Blade"}).translation == "Blade"
    glossary.delete(term.id)
    with pytest.raises(NoSuchTerm):
        glossary.update(term.id, {"translation": "x"})
    with pytest.raises(NoSuchTerm):
        glossary.delete(term.id)
    assert glossary.page().total == 0


def test_a_change_waits_to_sync_until_central_acknowledges_it(make_db) -> None:
    db = make_db()
    glossary = Glossary(db)
    term = glossary.add({"source": "검", "translation": "Sword"})
    assert glossary.get(term.id).waiting
    acknowledge(db)
    assert not glossary.get(term.id).waiting
    glossary.update(term.id, {"note": "weapon"})
    assert glossary.get(term.id).waiting
    other = glossary.add({"source": "방패", "translation": "Shield"})
    acknowledge(db)
    assert [r.waiting for r in glossary.page().rows] == [False, False]
    assert other.id != term.id


def test_a_colleagues_edit_arrives_and_is_not_ours_to_sync(make_db) -> None:
    mine, theirs = make_db("mine"), make_db("theirs")
    term = Glossary(mine).add({"source": "검", "translation": "Sword"})
    deliver(mine, theirs)
    Glossary(theirs).update(term.id, {"translation": "Blade"})
    acknowledge(mine)
    deliver(theirs, mine)
    row = Glossary(mine).get(term.id)
    assert row.term.translation == "Blade"
    assert not row.waiting and row.contests == ()  # a later edit, not a concurrent one


def test_concurrent_edits_converge_and_the_replaced_side_sees_the_contest(make_db) -> None:
    a, b = make_db("a"), make_db("b")
    term = Glossary(a).add({"source": "검", "translation": "Sword", "game": "dragon"})
    deliver(a, b)
    # Both edit the same translation offline, from the same starting value.
    Glossary(a).update(term.id, {"translation": "Blade"})
    Glossary(b).update(term.id, {"translation": "Longsword", "note": "two-handed"})
    deliver(a, b)
    deliver(b, a)
    row_a, row_b = Glossary(a).get(term.id), Glossary(b).get(term.id)
    # cr-sqlite keeps the larger value at equal col_version, on both sides.
    assert row_a.term == row_b.term
    assert (row_a.term.translation, row_a.term.note) == ("Longsword", "two-handed")
    # a's "Blade" was replaced: a shows the contest with both values; b's value stands.
    assert [(c.column, c.mine, c.kept) for c in row_a.contests] == [
        ("translation", "Blade", "Longsword")
    ]
    assert row_b.contests == ()
    assert [r.term.id for r in Glossary(a).page(Filters(contested_only=True)).rows] == [term.id]

    # "Use mine" writes Blade again as a newer change, which wins everywhere.
    Glossary(a).use_mine(term.id)
    deliver(a, b)
    assert Glossary(b).get(term.id).term.translation == "Blade"
    assert Glossary(a).get(term.id).contests == ()
    assert Glossary(a).page(Filters(contested_only=True)).total == 0


def test_keeping_theirs_clears_the_contest(make_db) -> None:
    a, b = make_db("a"), make_db("b")
    term = Glossary(a).add({"source": "검", "translation": "Sword"})
    deliver(a, b)
    Glossary(a).update(term.id, {"translation": "Blade"})
    Glossary(b).update(term.id, {"translation": "Longsword"})
    deliver(b, a)
    assert Glossary(a).get(term.id).contests
    Glossary(a).keep_theirs(term.id)
    row = Glossary(a).get(term.id)
    assert row.contests == () and row.term.translation == "Longsword"
