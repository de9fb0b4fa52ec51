"""The transition hook: an argv run on each link transition, never through a shell, never waited for."""

import os
import subprocess
import time


def log(message):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    print(f"{stamp} symroute-monitor: {message}", flush=True)


def hook_argv(value):
    """The hook setting checked: ``(argv, None)``, ``(None, None)`` for no hook, or ``(None, problem)``.

    The hook is an argv list, run as it is (never through a shell, never split):
    its first element an absolute path, every element a non-empty string without
    NUL. ``None`` or an empty list means no hook.
    """
    if value is None or (isinstance(value, list) and not value):
        return None, None
    if not isinstance(value, list):
        return None, f"must be a list of strings (an argv), not a {type(value).__name__}"
    for position, item in enumerate(value):
        if not isinstance(item, str):
            return None, f"element {position} is a {type(item).__name__}, not a string"
        if not item:
            return None, f"element {position} is empty"
        if "\x00" in item:
            return None, f"element {position} contains a NUL character"
        try:
            os.fsencode(item)
        except UnicodeError:
            return None, f"element {position} cannot be encoded for the file system"
    if not os.path.isabs(value[0]):
        return None, "its first element must be an absolute path to the program"
    return list(value), None


class Hook:
    """Runs the configured argv on each transition, without waiting for it.

    A hook setting that is not a valid argv is refused once, here, with a log
    line; the monitor then runs without a hook. Starting the hook may fail
    (missing program, no permission): that is logged, never raised.
    """

    def __init__(self, command, router, log=log):
        self.router, self.log, self.running = router, log, []
        self.argv, problem = hook_argv(command)
        if problem is not None:
            shown = repr(command)
            shown = shown if len(shown) <= 200 else shown[:200] + "..."
            self.log(f"hook refused, running without one: {problem} (setting {shown})")

    def reap(self):
        """Forget the hook processes that have ended (collecting their exit status)."""
        self.running = [process for process in self.running if process.poll() is None]

    def __call__(self, transition):
        state = "up" if transition.up else "down"
        try:
            self.reap()
            if self.argv is None:
                return
            environment = dict(os.environ, SYMROUTE_ROUTER=str(self.router), SYMROUTE_LINK=str(transition.link),
                               SYMROUTE_STATE=state, SYMROUTE_REASON=str(transition.reason))
            self.running.append(subprocess.Popen(self.argv, env=environment, stdin=subprocess.DEVNULL,  # noqa: S603
                                                 close_fds=True))
        except Exception as error:  # noqa: BLE001  (a hook never stops the monitor)
            self.log(f"hook {self.argv!r} for link {transition.link} {state} ({transition.reason}) "
                     f"failed: {type(error).__name__}: {error}")
