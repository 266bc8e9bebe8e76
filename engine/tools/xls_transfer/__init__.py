"""XLS Transfer: translation dictionaries from Excel files, and transfers of their translations
into Excel and LocStr TXT files; newline checks and re-wrapping; combining and key-column
transfers between workbooks. One module per concern; this one only declares the tool."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from engine.tools import Function, NoParams, Tool, ToolCall, ToolResult
from engine.tools.xls_transfer.combine import CombineParams, combine_excel
from engine.tools.xls_transfer.dictionary import (
    BuildParams,
    NameParams,
    build_dictionary,
    delete_dictionary,
    list_dictionaries,
)
from engine.tools.xls_transfer.newlines import NewlineParams, newline_adapt, newline_check
from engine.tools.xls_transfer.simple import SimpleParams, simple_transfer
from engine.tools.xls_transfer.transfer import (
    TransferExcelParams,
    TransferTxtParams,
    transfer_excel,
    transfer_txt,
)


def _fn(
    name: str,
    title: str,
    description: str,
    run: Callable[[ToolCall], ToolResult],
    params: type[BaseModel] = NoParams,
) -> Function:
    return Function(name=name, title=title, description=description, run=run, params=params)


TOOL = Tool(
    name="xls_transfer",
    title="XLS Transfer",
    description="Translation dictionaries from Excel files; transfer into Excel and LocStr TXT.",
    functions=(
        _fn(
            "build_dictionary",
            "Build dictionary",
            "Source and translation columns of Excel files -> a named dictionary (most frequent "
            "translation per source; line pairs when line counts agree).",
            build_dictionary,
            BuildParams,
        ),
        _fn("list_dictionaries", "List dictionaries", "Saved dictionaries.", list_dictionaries),
        _fn(
            "delete_dictionary",
            "Delete dictionary",
            "Delete a saved dictionary.",
            delete_dictionary,
            NameParams,
        ),
        _fn(
            "transfer_excel",
            "Transfer to Excel",
            "Translations into a copy of each workbook (styles kept), exact then fuzzy, whole "
            "text then line by line; with a report.",
            transfer_excel,
            TransferExcelParams,
        ),
        _fn(
            "transfer_txt",
            "Transfer to LocStr TXT",
            "Translations into column 6 of a copy of each LocStr TXT file; with a report.",
            transfer_txt,
            TransferTxtParams,
        ),
        _fn(
            "newline_check",
            "Newline check",
            "Report translations whose line count differs from their source's.",
            newline_check,
            NewlineParams,
        ),
        _fn(
            "newline_adapt",
            "Newline adapt",
            "Re-wrap translations to their source's line count, after sentence punctuation.",
            newline_adapt,
            NewlineParams,
        ),
        _fn(
            "combine_excel",
            "Combine Excel files",
            "Chosen columns of every sheet of several workbooks, stacked, styles kept.",
            combine_excel,
            CombineParams,
        ),
        _fn(
            "simple_transfer",
            "Simple transfer",
            "Key-column lookups from a source workbook into a copy of a target, with a conflict "
            "report.",
            simple_transfer,
            SimpleParams,
        ),
    ),
)
