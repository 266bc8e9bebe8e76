"""Each process kind reads its own variables: the app's data dir no longer moves central's
cluster, the app's earlier names still work, the dashboard reads central's mirror by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.settings import AdminSettings, CentralSettings, default_data_dir
from engine.settings import EngineSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("LOCANEXT_")]:
        monkeypatch.delenv(name)


def test_the_apps_data_dir_does_not_move_centrals(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCANEXT_DATA_DIR", str(tmp_path / "old"))
    assert EngineSettings().data_dir == tmp_path / "old"  # the earlier name still works
    assert CentralSettings().data_dir == default_data_dir()
    assert AdminSettings().cluster_dir == default_data_dir() / "pg"
    monkeypatch.setenv("LOCANEXT_APP_DATA_DIR", str(tmp_path / "new"))
    monkeypatch.setenv("LOCANEXT_CENTRAL_DATA_DIR", str(tmp_path / "central"))
    assert EngineSettings().data_dir == tmp_path / "new"  # the current name wins
    assert CentralSettings().cluster_dir == tmp_path / "central" / "pg"
    assert AdminSettings().cluster_dir == tmp_path / "central" / "pg"
    assert EngineSettings(data_dir=tmp_path / "given").data_dir == tmp_path / "given"


def test_earlier_app_names_are_read_after_the_current_ones(monkeypatch) -> None:
    monkeypatch.setenv("LOCANEXT_SYNC_INTERVAL", "2")
    monkeypatch.setenv("LOCANEXT_INSTALL_NAME", "old-pc")
    assert (EngineSettings().sync_interval, EngineSettings().install_name) == (2.0, "old-pc")
    monkeypatch.setenv("LOCANEXT_APP_SYNC_INTERVAL", "0.5")
    monkeypatch.setenv("LOCANEXT_APP_INSTALL_NAME", "new-pc")
    assert (EngineSettings().sync_interval, EngineSettings().install_name) == (0.5, "new-pc")


def test_the_dashboard_reads_centrals_mirror_unless_given_its_own(monkeypatch) -> None:
    assert AdminSettings().dsn is None and CentralSettings().dsn is None
    monkeypatch.setenv("LOCANEXT_CENTRAL_DSN", "postgresql://central@db/locanext")
    assert CentralSettings().dsn == AdminSettings().dsn == "postgresql://central@db/locanext"
    monkeypatch.setenv("LOCANEXT_ADMIN_DSN", "postgresql://reader@db/locanext")
    assert AdminSettings().dsn == "postgresql://reader@db/locanext"
    assert CentralSettings().dsn == "postgresql://central@db/locanext"


def test_central_and_the_dashboard_listen_where_their_variables_say(monkeypatch) -> None:
    assert (CentralSettings().port, AdminSettings().port) == (8700, 8701)
    monkeypatch.setenv("LOCANEXT_CENTRAL_PORT", "9700")
    monkeypatch.setenv("LOCANEXT_ADMIN_HOST", "0.0.0.0")
    assert (CentralSettings().port, AdminSettings().port) == (9700, 8701)
    assert (CentralSettings().host, AdminSettings().host) == ("127.0.0.1", "0.0.0.0")
    monkeypatch.setenv("LOCANEXT_PORT", "1234")  # no process reads an unprefixed port
    assert (CentralSettings().port, AdminSettings().port) == (9700, 8701)
