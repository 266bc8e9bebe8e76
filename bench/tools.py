"""`locanext bench tools`: XLS Transfer's dictionary build, exact and fuzzy transfer, in rows/s.

The corpus is generated (seeded): Korean-like sentences of Hangul syllables drawn with a skewed
(Zipf-like) frequency, stems with particles, spaces, punctuation and game code tags. The target
rows mix exact copies of dictionary sources (with whitespace noise), near copies (one to three
syllables changed, inserted or deleted) and new sentences.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from rapidfuzz import fuzz, process

from engine.formats import Entry
from engine.formats.xlsx import clean_cell
from engine.text.normalize import normalize
from engine.text.tags import carry_tags, find_tags
from engine.tools.base import ToolCall
from engine.tools.xls_transfer.dictionary import (
    SPLIT,
    BuildParams,
    build_dictionary,
    load_entries,
    most_frequent,
    pairs_of,
    placeholder_mismatches,
)
from engine.tools.xls_transfer.matcher import EXACT, FUZZY, LINES, Matcher
from engine.tools.xls_transfer.transfer import TransferTxtParams, transfer_txt

_PARTICLES = ("", "", "", "을", "를", "이", "가", "의", "에", "에서", "으로", "은", "는", "도")
_ENDINGS = ("", ".", "!", "?", "했다.", "합니다.", "하세요.")
_TAGS = ("{0}", "{ItemName}", "{Count}", "<PAColor0xffe9bd23>", "<PAOldColor>")


@dataclass(frozen=True)
class Corpus:
    """Pools to draw Korean-like text from."""

    rng: random.Random
    syllables: list[str]
    stems: list[str]
    stem_weights: list[float]

    def sentence(self) -> str:
        rng = self.rng
        count = rng.randint(2, 10)
        words = [
            s + rng.choice(_PARTICLES) for s in rng.choices(self.stems, self.stem_weights, k=count)
        ]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words) + 1), rng.choice(_TAGS))
        return " ".join(words) + rng.choice(_ENDINGS)

    def text(self) -> str:
        """A string of one to three sentences, one per line."""
        lines = self.rng.choice((1, 1, 1, 2, 3))
        return "\n".join(self.sentence() for _ in range(lines))

    def near(self, text: str) -> str:
        """``text`` with one to three syllables changed, inserted or deleted."""
        rng = self.rng
        chars = list(text)
        for _ in range(rng.choice((1, 1, 2, 3))):
            pos = rng.randrange(len(chars))
            roll = rng.random()
            if roll < 0.4:
                chars[pos] = rng.choice(self.syllables)
            elif roll < 0.7:
                chars.insert(pos, rng.choice(self.syllables))
            elif len(chars) > 1:
                del chars[pos]
        return "".join(chars)


def corpus(seed: int = 1, syllables: int = 2000, stems: int = 20_000) -> Corpus:
    rng = random.Random(seed)
    pool = sorted({chr(0xAC00 + rng.randrange(11172)) for _ in range(syllables * 3)})
    rng.shuffle(pool)
    pool = pool[:syllables]
    # Flattened Zipf: the commonest syllable is about 2% of the text, as in Korean prose.
    weights = [1 / (rank + 20) for rank in range(len(pool))]
    made: dict[str, None] = {}
    while len(made) < stems:
        made["".join(rng.choices(pool, weights, k=rng.choice((1, 2, 2, 3, 3, 4))))] = None
    stem_list = list(made)
    return Corpus(rng, pool, stem_list, [1 / (rank + 5) for rank in range(len(stem_list))])


def translation_of(source: str, serial: int, rng: random.Random) -> str:
    """A stand-in translation: same code tags; same line count for most rows, not all."""
    lines = source.split("\n")
    out = [f"EN{serial}.{n} " + " ".join(find_tags(line)) for n, line in enumerate(lines)]
    if len(out) > 1 and rng.random() < 0.2:
        out = [" ".join(out)]
    return "\n".join(s.strip() for s in out)


@dataclass
class Figure:
    name: str
    rows: int
    cpu: float
    wall: float
    base_rows: int = 0
    base_cpu: float = 0.0
    same: bool | None = None
    note: str = ""

    def rate(self) -> float:
        return self.rows / self.cpu if self.cpu else float("inf")

    def base_rate(self) -> float:
        return self.base_rows / self.base_cpu if self.base_cpu else 0.0


@dataclass
class Report:
    rows: int
    sample: int
    figures: list[Figure] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"XLS Transfer, {self.rows:,} rows against a {self.rows:,}-entry dictionary; "
            f"naive baseline on {self.sample} rows (rapidfuzz extractOne over the whole "
            "dictionary). Rates are rows per CPU-second of one core (wall time in brackets).",
        ]
        for f in self.figures:
            line = f"{f.name:<34} {f.rate():>12,.0f} rows/s  ({f.rows / f.wall:,.0f} wall)"
            if f.base_rows:
                ratio = f.rate() / f.base_rate() if f.base_rate() else float("inf")
                line += f"   baseline {f.base_rate():>9,.0f} rows/s   x{ratio:,.1f}"
            if f.same is not None:
                line += "   same matches as baseline: " + ("yes" if f.same else "NO")
            if f.note:
                line += f"   [{f.note}]"
            out.append(line)
        return out


class _Clock:
    def __enter__(self) -> _Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall


def _tables(entries: list[Entry]) -> tuple[list[str], list[str], list[str], list[str]]:
    """The naive baseline's lists: normalised whole keys (split lines, then whole pairs), split
    keys, and their translations; first occurrence of a key wins, as in the Matcher."""

    def table(chosen: list[Entry]) -> tuple[list[str], list[str]]:
        keys: dict[str, str] = {}
        for e in chosen:
            key = normalize(e.source)
            if key and key not in keys:
                keys[key] = e.translation
        return list(keys), list(keys.values())

    split = [e for e in entries if e.kind == SPLIT]
    whole_keys, whole_tr = table(split + [e for e in entries if e.kind != SPLIT])
    line_keys, line_tr = table(split)
    return whole_keys, whole_tr, line_keys, line_tr


def naive_match(text: str, tables: tuple, threshold: float) -> tuple[str, str] | None:
    """The seed's way: every text scored against the whole dictionary (whole text first, then
    line by line); returns (how, translation) as the Matcher does."""
    whole_keys, whole_tr, line_keys, line_tr = tables
    key = normalize(text)
    if not key:
        return None
    cutoff = threshold * 100
    hit = process.extractOne(key, whole_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
    if hit is not None:
        how = EXACT if hit[1] >= 100 else FUZZY
        return how, whole_tr[hit[2]] if how == EXACT else carry_tags(whole_tr[hit[2]], hit[0], key)
    if "\n" not in key:
        return None
    out = []
    for line in key.split("\n"):
        if not line:
            out.append("")
            continue
        hit = process.extractOne(line, line_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None:
            return None
        out.append(line_tr[hit[2]] if hit[1] >= 100 else carry_tags(line_tr[hit[2]], hit[0], line))
    return LINES, "\n".join(out)


def _compare(
    name: str,
    texts: list[str],
    entries: list[Entry],
    threshold: float,
    sample: int,
    note: str,
    differing: list[int] | None,
) -> Figure:
    # As transfer_txt/transfer_excel do: the dictionary's sources were normalised at build, and
    # the build found the entries whose placeholders differ.
    with _Clock() as ours:
        matcher = Matcher(entries, threshold, normalized=True, differing=differing)
        found = matcher.match_many(texts)
    picked = texts[:: max(1, len(texts) // sample)][:sample]
    tables = _tables(entries)
    with _Clock() as base:
        naive = [naive_match(t, tables, threshold) for t in picked]
    mine = [None if m is None else (m.how, m.translation) for m in map(matcher.match, picked)]
    matched = sum(m is not None for m in found)
    return Figure(
        name,
        len(texts),
        ours.cpu,
        ours.wall,
        len(picked),
        base.cpu,
        mine == naive,
        f"{note}; {matched:,} matched",
    )


def _build_figures(gen: Corpus, rows: int, folder: Path) -> tuple[list[Figure], list[Entry]]:
    sources = [gen.text() for _ in range(rows)]
    translations = [translation_of(s, n, gen.rng) for n, s in enumerate(sources)]
    xlsx = folder / "dictionary.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Strings")
    for s, t in zip(sources, translations, strict=True):
        sheet.append([s, t])
    book.save(xlsx)
    params = BuildParams(name="bench")
    with _Clock() as ours:
        build_dictionary(ToolCall([xlsx], params, folder / "data"))
    entries = load_entries(folder / "data", "bench")
    with _Clock() as base:
        reader = openpyxl.load_workbook(xlsx, read_only=True)
        pairs = [
            p
            for s, t in reader["Strings"].iter_rows(values_only=True)
            for p in pairs_of(clean_cell(s), clean_cell(t))
        ]
        reader.close()
        baseline = most_frequent(pairs)
    build = Figure(
        "dictionary build (xlsx -> sqlite)",
        rows,
        ours.cpu,
        ours.wall,
        rows,
        base.cpu,
        baseline == entries,
        "baseline: openpyxl reader, same pairing",
    )
    return [build], entries


def _targets(gen: Corpus, entries: list[Entry], rows: int, kinds: str) -> list[str]:
    """Target texts: e = exact copy (spacing changed), n = near copy, u = new text."""
    sources = [e.source for e in entries]
    out = []
    for n in range(rows):
        kind = kinds[n % len(kinds)]
        if kind == "e":
            out.append("  " + gen.rng.choice(sources).replace(" ", "  ", 1) + " ")
        elif kind == "n":
            out.append(gen.near(gen.rng.choice(sources)))
        else:
            out.append(gen.text())
    return out


def _txt_figure(texts: list[str], folder: Path) -> Figure:
    target = folder / "target.txt"
    with target.open("w", encoding="utf-8") as f:
        for n, text in enumerate(texts):
            f.write(f"0\t0\t0\t0\tID{n}\t{text.replace(chr(10), '<br/>')}\t\n")
    params = TransferTxtParams(dictionary="bench")
    with _Clock() as ours:
        transfer_txt(ToolCall([target], params, folder / "data"))
    return Figure(
        "exact transfer, whole TXT task",
        len(texts),
        ours.cpu,
        ours.wall,
        note="read, match, write copy and report",
    )


def run(rows: int = 100_000, sample: int = 200) -> Report:
    report = Report(rows, sample)
    gen = corpus(seed=1)
    with tempfile.TemporaryDirectory(prefix="locanext-bench-tools-") as tmp:
        folder = Path(tmp)
        figures, entries = _build_figures(gen, rows, folder)
        report.figures += figures
        differing = placeholder_mismatches(folder / "data", "bench")
        exact = _targets(gen, entries, rows, "e")
        report.figures.append(
            _compare(
                "exact transfer (matching)", exact, entries, 0.99, sample, "exact copies", differing
            )
        )
        report.figures.append(_txt_figure(exact, folder))
        mixed = _targets(gen, entries, rows, "enu")
        report.figures.append(
            _compare(
                "fuzzy transfer 0.90 (matching)",
                mixed,
                entries,
                0.90,
                sample,
                "1/3 exact, 1/3 near, 1/3 new; index build included",
                differing,
            )
        )
        hard = _targets(gen, entries, rows, "nu")
        report.figures.append(
            _compare(
                "fuzzy 0.90, no exact rows",
                hard,
                entries,
                0.90,
                sample,
                "1/2 near, 1/2 new",
                differing,
            )
        )
    return report
