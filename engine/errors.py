"""The engine's error tree. Library code raises these; the CLI and HTTP layer translate them.

Like central's errors, each knows its HTTP status and a stable ``code``; one handler in
:mod:`engine.app` renders every one as ``{"code", "detail"}``. Errors of one part of the engine
live beside it (``TasksClosed`` in the task manager, ``FormatError`` with the formats ...) and
derive from :class:`EngineError`.
"""


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status = 500
    code = "internal_error"

    @property
    def detail(self) -> str:
        """The sentence for people (the message the error was raised with)."""
        return str(self)


class NoSync(EngineError):
    """Asked to sync, but this app runs without a replicator."""

    status = 409
    code = "no_sync"


class ExtensionMissing(EngineError):
    """The cr-sqlite loadable extension is not built or cannot be loaded."""

    code = "extension_missing"


class DatabaseUnusable(EngineError):
    """engine.db cannot be opened, is not a SQLite database, or is from a newer LocaNext."""

    code = "database_unusable"


class ToolFailed(EngineError):
    """A tool run ended with an error the user should read."""

    status = 422
    code = "tool_failed"


class UnknownTool(EngineError):
    """No tool, or no function of a tool, by the name asked for."""

    status = 404
    code = "unknown_tool"


class BadParams(EngineError):
    """A run's parameters do not fit its function's model."""

    status = 422
    code = "bad_params"


class ValueTooLarge(EngineError):
    """A write would put a value larger than a push can carry into a replicated table."""

    status = 413
    code = "value_too_large"
