"""Which replicated schema versions central serves: one behind its own to one ahead."""

from __future__ import annotations

from central.errors import UpdateRequired

# The replicated schema central's tables describe (engine/migrations.py numbers them). Installs
# one version behind are served; one version ahead, their cells of unknown columns are parked.
SCHEMA_VERSION = 2
SCHEMA_VERSIONS = range(SCHEMA_VERSION - 1, SCHEMA_VERSION + 2)


def check_schema(version: int) -> None:
    """Refuse (426) an install whose schema version central does not serve."""
    if version < SCHEMA_VERSIONS.start:
        raise UpdateRequired(
            f"this install speaks schema version {version}; central needs at least "
            f"{SCHEMA_VERSIONS.start}. Update LocaNext."
        )
    if version >= SCHEMA_VERSIONS.stop:
        raise UpdateRequired(
            f"this install speaks schema version {version}, newer than central "
            f"({SCHEMA_VERSIONS.stop - 1}). Ask an administrator to update central."
        )
