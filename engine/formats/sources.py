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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from engine.errors import ToolFailed
from engine.formats import Entry, FormatError

Reader = Callable[[Path], Iterable[Entry]]
# Same shape as engine.tools.ProgressFn; formats do not import the tools layer.
Progress = Callable[[int, int | None, str], None]


def _no_progress(done: int, total: int | None, step: str = "") -> None:
    """Progress sink for callers that do not watch."""


SUFFIXES = (".xml", ".txt", ".tsv", ".po", ".xlf", ".xliff", ".tmx")


def _locstr_txt(path: Path) -> Iterable[Entry]:
    # Imported here: the TXT reader is its own module and only needed for these files.
    from engine.formats import locstr_txt

    return locstr_txt.read(path)


def _locstr_xml(path: Path) -> Iterable[Entry]:
    from engine.formats import locstr_xml

    return locstr_xml.read(path)


def _po(path: Path) -> Iterable[Entry]:
    from engine.formats import po

    return po.read(path)


def _xliff(path: Path) -> Iterable[Entry]:
    from engine.formats import xliff

    return xliff.read(path)


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
    ) -> None:
        self.warnings: list[str] = []
        self.skip_bad_files = skip_bad_files
        self._suffixes = suffixes
        self._tmx = (tmx_source_lang, tmx_target_lang)
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

        return lambda p: tmx.read(p, *self._tmx)

    def entries(self, progress: Progress = _no_progress) -> Iterator[tuple[Path, Entry]]:
        """``(file, entry)`` for every entry of every file, file by file."""
        total = len(self.files)
        for done, path in enumerate(self.files):
            progress(done, total, path.name)
            read = self._reader(path)
            count = 0
            if self.skip_bad_files:
                try:
                    batch = list(read(path))
                except FormatError as exc:
                    self.warnings.append(f"skipped {exc}")
                    continue
                count = len(batch)
                yield from ((path, entry) for entry in batch)
            else:
                for entry in read(path):
                    count += 1
                    yield path, entry
            if count == 0:
                self.warnings.append(f"{path.name}: no entries found")
        progress(total, total, "read")
