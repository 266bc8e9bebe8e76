"""Central's epoch: a random id that names this history of central's database.

Migration 0006 makes one (so does a new, wiped central: every migration runs again), and
``locanext central --restored`` replaces it once a backup has been restored. Installs read it with
every state and pull answer: a new epoch means central may lack what it had acknowledged and may
hand out its db_versions again, so the install forgets its watermark and cursor, sends again what
central lacks and pulls everything again (merging is idempotent, so nothing doubles).
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central.tables import central_meta

log = logging.getLogger(__name__)
KEY = "epoch"


# The epoch as a scalar subquery, to read along with other values in one statement.
VALUE = select(central_meta.c.value).where(central_meta.c.key == KEY).scalar_subquery()


def current(conn: Connection) -> str:
    return conn.execute(select(VALUE)).scalar() or ""


def renew(conn: Connection) -> str:
    """A new epoch, after a restore: installs start over against this central."""
    epoch = secrets.token_hex(16)
    conn.execute(
        pg_insert(central_meta)
        .values(key=KEY, value=epoch)
        .on_conflict_do_update(index_elements=["key"], set_={"value": epoch})
    )
    log.warning("central's epoch is now %s: installs will send and pull everything again", epoch)
    return epoch
