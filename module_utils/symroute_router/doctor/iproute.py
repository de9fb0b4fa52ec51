"""What `ip -json` answers, read without ever failing: a command that fails or prints no JSON reads as nothing."""

import json


def ip_json(runner, args):
    """The parsed answer of ``ip -json ARGS`` (a list), or [] when ip failed or printed no JSON list."""
    result = runner.run(["ip", *args])
    if result.rc != 0 or not result.stdout.strip():
        return []
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        return []
    return [entry for entry in answer if isinstance(entry, dict)] if isinstance(answer, list) else []


def route_get(runner, destination, source=None, mark=None):
    """The first answer of ``ip -json route get DST [from SRC] [mark MARK]``, or {} (unroutable, prohibited)."""
    args = ["-json", "route", "get", destination]
    if source:
        args += ["from", source]
    if mark:
        args += ["mark", f"{mark:#x}"]
    answer = ip_json(runner, args)
    return answer[0] if answer else {}
