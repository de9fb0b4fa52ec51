"""Where validation puts what it finds: one router's problems and warnings, or a recording of them.

The checks of a partner list do not depend on the router except for its name
in the messages, so routers that share a partner list record them once
(``Recorder``) and each router replays the recording into its own
``Collector``: the same problems and warnings, word for word, as if the router
had checked the list alone.
"""

from .errors import Problem

PROBLEM, WARNING = "problem", "warning"


class Collector:
    """Collects problems and warnings for one router."""

    def __init__(self, router):
        self.router = router
        self.problems = []
        self.warnings = []

    def problem(self, item, message):
        where = f"{self.router}, {item}" if item else self.router
        self.problems.append(Problem(where, message))

    def warning(self, item, message):
        self.warnings.append(f"{self.router}, {item}: {message}")


class Recorder:
    """Problems and warnings by item, not yet naming a router; read-only once recorded."""

    def __init__(self):
        self._entries = []

    def problem(self, item, message):
        self._entries.append((PROBLEM, item, message))

    def warning(self, item, message):
        self._entries.append((WARNING, item, message))

    def replay(self, collect):
        """Hand every recorded problem and warning to ``collect`` (a router's Collector)."""
        for kind, item, message in self._entries:
            if kind == PROBLEM:
                collect.problem(item, message)
            else:
                collect.warning(item, message)
