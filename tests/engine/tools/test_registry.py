"""The registry: every function declares the params model its ``run`` reads, lookups and
parameter checks refuse with engine errors that say what exists and what is wrong."""

from __future__ import annotations

import typing

import pytest

from engine.errors import BadParams, UnknownTool
from engine.tools.base import ToolCall
from engine.tools.registry import registry, resolve, validate_params
from engine.tools.xls_transfer.transfer import TransferExcelParams


def test_every_function_runs_on_the_model_it_declares() -> None:
    functions = [(t, f) for t in registry().values() for f in t.functions]
    assert len(functions) >= 20
    for tool, fn in functions:
        hint = typing.get_type_hints(fn.run)["call"]
        assert typing.get_origin(hint) is ToolCall, f"{tool.name}.{fn.name}"
        assert typing.get_args(hint) == (fn.params,), f"{tool.name}.{fn.name}"


def test_params_become_the_functions_model_once() -> None:
    _, fn = resolve("xls_transfer", "transfer_excel")
    params = validate_params(fn, {"dictionary": "ko-en", "threshold": "0.9", "first_row": 2})
    assert isinstance(params, TransferExcelParams)
    assert (params.dictionary, params.threshold, params.first_row) == ("ko-en", 0.9, 2)


def test_lookups_and_checks_refuse_with_what_exists_and_what_is_wrong() -> None:
    with pytest.raises(UnknownTool, match="unknown tool 'nope'; available: .*xls_transfer"):
        resolve("nope")
    with pytest.raises(UnknownTool, match="has functions build_dictionary, .*; name one"):
        resolve("xls_transfer")
    _, fn = resolve("xls_transfer", "transfer_excel")
    with pytest.raises(BadParams, match="dictionary: Field required; threshold: .*0.8"):
        validate_params(fn, {"threshold": 0.1})
    with pytest.raises(BadParams, match="colour: Extra inputs are not permitted"):
        validate_params(fn, {"dictionary": "d", "colour": "red"})
