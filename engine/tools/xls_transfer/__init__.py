"""XLS Transfer: translation dictionaries from Excel files, and transfers of their translations
into Excel and LocStr TXT files; newline checks and re-wrapping; combining and key-column
transfers between workbooks. One module per concern; this one only declares the tool."""

from __future__ import annotations

from engine.tools.base import Function, NoParams, Tool
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

TOOL = Tool(
    name="xls_transfer",
    title="XLS Transfer",
    description="Translation dictionaries from Excel files; transfer into Excel and LocStr TXT.",
    functions=(
        Function(
            name="build_dictionary",
            title="Build dictionary",
            description="Source and translation columns of Excel files -> a named dictionary "
            "(most frequent translation per source; line pairs when line counts agree).",
            run=build_dictionary,
            params=BuildParams,
        ),
        Function(
            name="list_dictionaries",
            title="List dictionaries",
            description="Saved dictionaries.",
            run=list_dictionaries,
            params=NoParams,
        ),
        Function(
            name="delete_dictionary",
            title="Delete dictionary",
            description="Delete a saved dictionary.",
            run=delete_dictionary,
            params=NameParams,
        ),
        Function(
            name="transfer_excel",
            title="Transfer to Excel",
            description="Translations into a copy of each workbook (styles kept), exact then "
            "fuzzy, whole text then line by line; with a report.",
            run=transfer_excel,
            params=TransferExcelParams,
        ),
        Function(
            name="transfer_txt",
            title="Transfer to LocStr TXT",
            description="Translations into column 6 of a copy of each LocStr TXT file; with a "
            "report.",
            run=transfer_txt,
            params=TransferTxtParams,
        ),
        Function(
            name="newline_check",
            title="Newline check",
            description="Report translations whose line count differs from their source's.",
            run=newline_check,
            params=NewlineParams,
        ),
        Function(
            name="newline_adapt",
            title="Newline adapt",
            description="Re-wrap translations to their source's line count, after sentence "
            "punctuation.",
            run=newline_adapt,
            params=NewlineParams,
        ),
        Function(
            name="combine_excel",
            title="Combine Excel files",
            description="Chosen columns of every sheet of several workbooks, stacked, styles kept.",
            run=combine_excel,
            params=CombineParams,
        ),
        Function(
            name="simple_transfer",
            title="Simple transfer",
            description="Key-column lookups from a source workbook into a copy of a target, with "
            "a conflict report.",
            run=simple_transfer,
            params=SimpleParams,
        ),
    ),
)
