"""Dictionary sources: entries from files and folders, the reader chosen by extension.

| extension | format |
|---|---|
| .xml | LocStr XML |
| .txt, .tsv | LocStr TXT (columns 0-4 StringID, 5 source, 6 translation) |
| .po | gettext PO |
| .xlf, .xliff | XLIFF 1.2 / 2.0 |
| .tmx | TMX (source and target languages chosen by the caller) |

Folders are searched recursively, in sorted order, and files of other types in them are skipped
(counted in a warning). A file named explicitly must have one of these extensions.

**Languages don't mix.** PO (``Language`` header) and XLIFF (``target-language``/``trgLang``) files
declare the language of their translations; TMX files give the language asked for. The entries
keep to one language: the ``language`` asked for when it is a language code (``ko``, ``pt-BR``,
``EN``), else the first language a file declares. A file declaring another language is skipped
with a warning. Codes match without regard to case or ``-``/``_``, and a bare code matches its
regional ones (``de`` and ``de-AT``), but two regions do not match (``pt-BR`` and ``pt-PT``).
Files that declare nothing (LocStr) are read whatever the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from engine.errors import ToolFailed
from engine.formats import Entry, FormatError

# A reader gives the language the file declares (None: it declares none) and its entries.
Reader = Callable[[Path], tuple[str | None, Iterable[Entry]]]
# Same shape as engine.tools.ProgressFn; formats do not import the tools layer.
Progress = Callable[[int, int | None, str], None]


def _no_progress(done: int, total: int | None, step: str = "") -> None:
    """Progress sink for callers that do not watch."""


SUFFIXES = (".xml", ".txt", ".tsv", ".po", ".xlf", ".xliff", ".tmx")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def language_code(language: str | None) -> str | None:
    """``language`` as a lower-case code with ``-`` (``pt_BR`` -> ``pt-br``), or None when it is
    not a language code (``Korean``)."""
    if language is None or not _LANGUAGE_CODE.fullmatch(language.strip()):
        return None
    return language.strip().lower().replace("_", "-")


def same_language(a: str, b: str) -> bool:
    """Equal codes, or one the bare form of the other (``de`` and ``de-at``)."""
    x, y = language_code(a) or a.lower(), language_code(b) or b.lower()
    return x == y or x.startswith(y + "-") or y.startswith(x + "-")


def _locstr_txt(path: Path) -> tuple[str | None, Iterable[Entry]]:
    # Imported here: the TXT reader is its own module and only needed for these files.
    from engine.formats import locstr_txt

    return None, locstr_txt.read(path)


def _locstr_xml(path: Path) -> tuple[str | None, Iterable[Entry]]:
    from engine.formats import locstr_xml

    return None, locstr_xml.read(path)


def _po(path: Path) -> tuple[str | None, Iterable[Entry]]:
    from engine.formats import po

    return po.read_catalog(path)


def _xliff(path: Path) -> tuple[str | None, Iterable[Entry]]:
    from engine.formats import xliff

    return xliff.declared_language(path), xliff.read(path)


class Sources:
    """The files behind some input paths, and their entries.

    With ``skip_bad_files`` a file that cannot be read is left out whole (its entries are held
    back until it has been read to the end) and named in :attr:`warnings`; without it the first
    bad file raises its :class:`FormatError`.
    """

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        suffixes: tuple[str, ...] = SUFFIXES,
        skip_bad_files: bool = False,
        tmx_source_lang: str | None = None,
        tmx_target_lang: str | None = None,
        language: str | None = None,
    ) -> None:
        self.warnings: list[str] = []
        self.skip_bad_files = skip_bad_files
        self._suffixes = suffixes
        # The language entries keep to (see the module's rules); set by the first file declaring
        # one when ``language`` is not a code.
        self.language = language_code(language)
        self._tmx = (tmx_source_lang, tmx_target_lang or self.language)
        # The languages the files read declared, as they wrote them.
        self.declared: list[str] = []
        self.files = self._collect(list(paths))

    def _collect(self, paths: list[Path]) -> list[Path]:
        files: list[Path] = []
        ignored = 0
        for path in paths:
            if path.is_dir():
                for found in sorted(p for p in path.rglob("*") if p.is_file()):
                    if found.suffix.lower() in self._suffixes:
                        files.append(found)
                    else:
                        ignored += 1
            elif path.is_file():
                if path.suffix.lower() not in self._suffixes:
                    raise FormatError(
                        path, f"unsupported file type (expected one of {', '.join(self._suffixes)})"
                    )
                files.append(path)
            else:
                raise ToolFailed(f"{path}: no such file or folder")
        if ignored:
            self.warnings.append(f"ignored {ignored} file(s) of other types in the folders")
        if not files:
            raise ToolFailed("no dictionary source files found in the inputs")
        return files

    def _reader(self, path: Path) -> Reader:
        suffix = path.suffix.lower()
        if suffix == ".xml":
            return _locstr_xml
        if suffix in (".txt", ".tsv"):
            return _locstr_txt
        if suffix == ".po":
            return _po
        if suffix in (".xlf", ".xliff"):
            return _xliff
        from engine.formats import tmx

        def read_tmx(p: Path) -> tuple[str | None, Iterable[Entry]]:
            target = self._tmx[1] or self.language
            return target, tmx.read(p, self._tmx[0], target)

        return read_tmx

    def _keeps(self, path: Path, declared: str | None) -> bool:
        """Whether a file declaring ``declared`` is read (else a warning says why not)."""
        if declared is None:
            return True
        if self.language is None:
            self.language = language_code(declared) or declared.lower()
        if not same_language(declared, self.language):
            self.warnings.append(
                f"skipped {path.name}: its translations are in {declared!r}, not {self.language!r}"
            )
            return False
        if declared not in self.declared:
            self.declared.append(declared)
        return True

    def entries(self, progress: Progress = _no_progress) -> Iterator[tuple[Path, Entry]]:
        """``(file, entry)`` for every entry of every file, file by file."""
        total = len(self.files)
        for done, path in enumerate(self.files):
            progress(done, total, path.name)
            read = self._reader(path)
            count = 0
            if self.skip_bad_files:
                try:
                    declared, entries = read(path)
                    batch = list(entries) if self._keeps(path, declared) else None
                except FormatError as exc:
                    self.warnings.append(f"skipped {exc}")
                    continue
                if batch is None:
                    continue
                count = len(batch)
                yield from ((path, entry) for entry in batch)
            else:
                declared, entries = read(path)
                if not self._keeps(path, declared):
                    continue
                for entry in entries:
                    count += 1
                    yield path, entry
            if count == 0:
                self.warnings.append(f"{path.name}: no entries found")
        progress(total, total, "read")
