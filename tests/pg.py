"""PostgreSQL for tests: an existing server named by LOCANEXT_TEST_PG_DSN, else a throwaway
private cluster; and a fresh, uniquely named database per test on top of either."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from central.db import normalize_dsn, scratch_database
from central.pgcluster import PrivateCluster

ENV_DSN = "LOCANEXT_TEST_PG_DSN"


@contextmanager
def test_server() -> Iterator[str]:
    """Yield an admin DSN (database `postgres`) of a server that tests may create databases on."""
    if os.environ.get(ENV_DSN):
        yield normalize_dsn(os.environ[ENV_DSN])
        return
    # Under /tmp and 0755 so that the postgres user (we may be root) can reach the cluster.
    tmp = Path(tempfile.mkdtemp(prefix="locanext-pg-", dir="/tmp"))
    try:
        tmp.chmod(0o755)
        with PrivateCluster(tmp / "pg", database="postgres") as cluster:
            dsn = cluster.dsn()
            assert dsn is not None
            yield dsn
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def fresh_database(server_dsn: str) -> Iterator[str]:
    """Create locanext_test_<hex> on the server, yield its DSN, drop it (and its sessions) after."""
    with scratch_database(server_dsn, "locanext_test") as dsn:
        yield dsn


# Imported into test modules these would otherwise be collected as tests themselves.
test_server.__test__ = False  # type: ignore[attr-defined]
