"""Tasks: every tool run, from the UI, the API or the command line, runs in a worker process.

:class:`TaskManager` (owned by the engine's runtime) queues runs, starts at most a few workers at
once, relays their progress with rate and time left, cancels them for real (terminate, then kill),
and records each run as one operation row. The worker never opens engine.db.
"""

from engine.tasks.manager import TaskManager, TasksClosed, UnknownTask
from engine.tasks.model import Task

__all__ = ["Task", "TaskManager", "TasksClosed", "UnknownTask"]
