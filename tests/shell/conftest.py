"""Tests here open real windows on a private Xvfb."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.xvfb import xvfb


@pytest.fixture(scope="session")
def xvfb_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DISPLAY of a private Xvfb on the first free display in :90..:99."""
    with xvfb(tmp_path_factory.mktemp("xvfb")) as display:
        yield display
