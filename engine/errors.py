"""The engine's error tree. Library code raises these; the CLI and HTTP layer translate them."""


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ExtensionMissing(EngineError):
    """The cr-sqlite loadable extension is not built or cannot be loaded."""


class DatabaseUnusable(EngineError):
    """engine.db cannot be opened, is not a SQLite database, or is from a newer LocaNext."""


class ToolFailed(EngineError):
    """A tool run ended with an error the user should read."""


class UnknownTool(EngineError):
    """No tool, or no function of a tool, by the name asked for."""


class BadParams(EngineError):
    """A run's parameters do not fit its function's model."""
