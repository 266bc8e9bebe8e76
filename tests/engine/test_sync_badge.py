"""The status badge says what kind of failure sync saw, from the kind recorded in engine.db and
never from the wording of a message."""

from __future__ import annotations

import pytest

from engine.sync_state import FailureKind, SyncFailure, SyncStatus
from engine.ui.layout import FAILURE_BADGES, sync_text


def _status(failure: SyncFailure | None, *, enrolled: bool = True, online: bool = True):
    return SyncStatus(
        enrolled=enrolled,
        central_url="http://central:8700" if enrolled else None,
        online=online,
        pending_changes=3,
        acked_db_version=7,
        pull_cursor=2,
        last_attempt="2026-11-25T10:00:01Z",
        last_success="2026-11-25T10:00:00Z",
        last_failure=failure,
    )


def test_every_kind_of_failure_has_a_badge() -> None:
    assert set(FAILURE_BADGES) == set(FailureKind)


@pytest.mark.parametrize(
    ("kind", "code", "label", "color"),
    [
        # Refusals that need a person: sync waits for the user, and the badge says so.
        (
            FailureKind.UPDATE_REQUIRED,
            "update_required",
            "Sync paused: Update required",
            "negative",
        ),
        (FailureKind.UNAUTHORIZED, "unauthorized", "Sync paused: Unauthorized", "negative"),
        (FailureKind.REVOKED, "revoked", "Sync paused: Revoked", "negative"),
        (
            FailureKind.ACCOUNT_DISABLED,
            "account_disabled",
            "Sync paused: Account disabled",
            "negative",
        ),
        (
            FailureKind.COPIED_DATABASE,
            "copied_database",
            "Sync paused: Copied database",
            "negative",
        ),
        (FailureKind.UNREACHABLE, None, "Offline", "warning"),
        (FailureKind.REFUSED, "conflict", "Refused (conflict)", "warning"),
    ],
)
def test_the_badge_names_the_kind_and_keeps_the_detail(kind, code, label, color) -> None:
    text, shown = sync_text(_status(SyncFailure(kind, "what central said", code)))
    assert text.startswith(f"{label} · 3 changes waiting · last sync 2026-11-25T10:00:00Z")
    assert text.endswith(" · what central said") and shown == color


def test_the_wording_of_a_message_does_not_decide_the_badge() -> None:
    misleading = SyncFailure(FailureKind.REFUSED, "update required: no, a bad changeset", "x")
    assert sync_text(_status(misleading))[0].startswith("Refused (x) · ")
    plain = SyncFailure(FailureKind.UPDATE_REQUIRED, "central needs schema 3", "update_required")
    assert sync_text(_status(plain))[0].startswith("Sync paused: Update required · ")


def test_online_not_synced_yet_and_not_enrolled() -> None:
    assert sync_text(_status(None)) == (
        "Online · 3 changes waiting · last sync 2026-11-25T10:00:00Z",
        "positive",
    )
    assert sync_text(_status(None, online=False))[0].startswith("Not synced yet · ")
    assert sync_text(_status(None, enrolled=False)) == ("Not enrolled", "grey")
