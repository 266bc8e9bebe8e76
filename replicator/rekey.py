"""Re-keying a copied or restored install: a new site id, nothing lost.

When central finds this engine.db's link used from another PC, or this engine.db behind what
central already merged from it (:class:`~replicator.errors.RestoredDatabase`), the install's own
changes past the watermark it knew cannot be sent under its site id: central would drop them as
already merged. Re-keying gives engine.db a new cr-sqlite site id (:meth:`Database.rekey`):
changes central holds stay the old site's; everything else is the new site's and goes to central
again from version 0. Runs, sessions and events central has nothing of move to the new install
id; the new install describes itself in ``installs``. The link of the old site is not this
install's any more: the token is forgotten and the user signs in again (a new enrollment), and
the cursor starts over, so the edits the other copy made under the old site id arrive too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine import account, install, machine, sync_state
from engine.db import Database
from replicator import link

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RekeyReport:
    old_install_id: str
    new_install_id: str
    to_send: int  # own changes the new site sends
    rows_moved: int  # runs, sessions, events now under the new install id


def rekey(db: Database, install_name: str = "") -> RekeyReport:
    """Re-key ``db``; the caller keeps the sync loop away meanwhile (it waits, parked)."""
    with db.read() as conn:
        synced = sync_state.acked_db_version(conn)
    old = db.install_id
    link.forget(db)  # the old site's token; the new site enrolls afresh
    machine.forget(db.path.parent)
    to_send = db.rekey(synced)
    with db.write() as conn:
        moved = install.move_rows(conn, old, db.install_id)
        sync_state.start_over(conn)
        sync_state.clear_failure(conn)
        account.signed_out(conn)  # the app asks to sign in again
    install.register(db, install_name)
    log.warning(
        "install %s re-keyed as %s: %d changes to send, %d rows moved",
        old,
        db.install_id,
        to_send,
        moved,
    )
    return RekeyReport(old, db.install_id, to_send, moved)
