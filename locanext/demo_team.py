"""The demo's team, so every page of the admin console has content on first start: three users
(two translators, a lead), two installs, runs of every tool on sample files (successes and
failures, which are log events too), a glossary term translated differently on both installs
before either synced (a conflict central resolves), an announcement and a release."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.admin_client import AdminApiError, AdminClient


@dataclass(frozen=True)
class Member:
    username: str
    password: str
    display_name: str
    team: str
    language: str
    role: str = "translator"


MINA = Member("mina", "mina-demo-pass", "Mina Park", "Korean → English", "en")
JUN = Member("jun", "jun-demo-pass", "Jun Sato", "Korean → Japanese", "ja")
HANA = Member("hana", "hana-demo-pass", "Hana Kim", "Korean → English", "en", "lead")
TEAM = (MINA, JUN, HANA)

# LocStr TXT: StringID in columns 0-4, the Korean source in 5, the translation in 6.
_LOCSTR = [
    ("UI", "Menu", "Main", "0", "1", "시작하기", "Start"),
    ("UI", "Menu", "Main", "0", "2", "설정", "Settings"),
    ("UI", "Menu", "Main", "0", "3", "게임 종료", "Quit game"),
    ("UI", "Loot", "Msg", "0", "1", "{0}개의 아이템을 얻었습니다", "You got {0} items"),
    ("UI", "Loot", "Msg", "0", "2", "{0}개의 아이템을 잃었습니다", ""),
    ("Quest", "Main", "Q1", "0", "1", "<PAColor0xffe9bd23>전설의 검<PAOldColor>을 찾아라",
     "Find the <PAColor0xffe9bd23>Legendary Sword<PAOldColor>"),
    ("Quest", "Main", "Q1", "0", "2", "마을로 돌아가기", "Return to the village"),
    ("Quest", "Main", "Q2", "0", "1", "마을로 돌아가기", "Go back to town"),
]  # fmt: skip
_GLOSSARY_ROWS = [("검", "Sword"), ("마을", "Village"), ("체력 물약", "Health potion")]
SAMPLE_TEXTS = {
    "ui_strings_ko.txt": "시작하기\n설정\n\n게임 종료\n{0}개의 아이템을 얻었습니다\n",
    "items_ko.txt": "체력 물약\n마나 물약\n강화석\n",
}
# (tool, function, input file names, parameters); missing.txt and an Excel tool on a text file
# fail, as runs do.
RUNS: dict[str, list[tuple[str, str, list[str], dict[str, Any]]]] = {
    MINA.username: [
        ("text_stats", "count", ["ui_strings_ko.txt"], {}),
        ("text_stats", "count", ["missing.txt"], {}),
        ("quick_search", "build_dictionary", ["strings.txt"], {"game": "demo", "language": "en"}),
        ("quick_search", "line_check", ["strings.txt"], {}),
        ("quick_search", "pattern_check", ["strings.txt"], {}),
        ("similar_strings", "find_groups", ["strings.txt"], {"threshold": 0.8, "min_length": 3}),
        ("xls_transfer", "build_dictionary", ["glossary.xlsx"], {"name": "demo"}),
        ("xls_transfer", "build_dictionary", ["strings.txt"], {"name": "broken"}),
    ],
    JUN.username: [
        ("text_stats", "count", ["items_ko.txt"], {}),
        ("quick_search", "build_dictionary", ["strings.txt"], {"game": "demo", "language": "ja"}),
        ("similar_strings", "auto_translate", ["strings.txt"], {}),
        ("xls_transfer", "newline_check", ["glossary.xlsx"], {}),
    ],
}
CONFLICT_TERM = "demo-term-sword"


def write_samples(folder: Path) -> None:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    for name, content in SAMPLE_TEXTS.items():
        (folder / name).write_text(content, encoding="utf-8")
    lines = ("\t".join(row) for row in _LOCSTR)
    (folder / "strings.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _GLOSSARY_ROWS:
        sheet.append(row)
    book.save(folder / "glossary.xlsx")


def create_users(central_url: str, admin: str, password: str) -> None:
    """The team's accounts (kept when they exist)."""
    with AdminClient.signed_in(central_url, admin, password) as client:
        for member in TEAM:
            body = member.__dict__.copy()
            try:
                client.post("/api/admin/users", body)
            except AdminApiError as exc:
                if exc.code != "conflict" and exc.status != 409:
                    raise


def publish(central_url: str, admin: str, password: str, version: str) -> None:
    """An announcement and a newer release, once."""
    with AdminClient.signed_in(central_url, admin, password) as client:
        if not client.get("/api/admin/announcements"):
            client.post(
                "/api/admin/announcements",
                {
                    "title": "용어집 업데이트 / Glossary update",
                    "body": "The team glossary has new weapon terms; check 검 (Sword).",
                    "level": "info",
                },
            )
        if not client.get("/api/admin/releases"):
            client.post(
                "/api/admin/releases",
                {
                    "version": version,
                    "notes": "Faster transfers; a newline check for Excel files.",
                    "url": f"https://example.com/LocaNext-{version}.exe",
                },
            )


def record_runs(runtime: Any, member: Member, samples: Path) -> None:
    for tool, function, names, params in RUNS[member.username]:
        task = runtime.tasks.submit(
            tool, [samples / n for n in names], params, username=member.username, function=function
        )
        runtime.tasks.wait(task.id)


def translate_offline(runtime: Any, translation: str) -> None:
    """This install's translation of the shared term, before it has synced."""
    with runtime.db.write() as conn:
        conn.execute(
            "INSERT INTO glossary_terms (id, source, translation, game, language, note)"
            " VALUES (?, '검', ?, 'demo', 'en', 'weapon')",
            (CONFLICT_TERM, translation),
        )
