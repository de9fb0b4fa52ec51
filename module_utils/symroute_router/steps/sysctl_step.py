"""Kernel settings: symroute's sysctl.d file and the live values (exact check mode and diff)."""

from .. import contract, sysctl
from ..files import read_text, write_atomically
from . import StepFailed


def run(request, check_mode, warn):
    """``request``: ``sysctls`` (the plan's slice), ``path`` and ``content`` (the rendered file)."""
    refused = contract.refusal("sysctls", request["sysctls"])
    if refused:
        raise StepFailed(refused)
    wanted = {item["name"]: str(item["value"]) for item in request["sysctls"]["sysctls"]}
    live = sysctl.read(list(wanted))
    waiting = sysctl.waiting(live)
    missing = sorted(name for name, value in live.items() if value is None and name not in waiting)
    if missing:
        raise StepFailed(f"the kernel has no {', '.join(missing)}")
    wanted = {name: value for name, value in wanted.items() if name not in waiting}
    for interface in sorted(set(waiting.values())):
        warn(f"interface {interface} is not there: its keys wait for it (they apply when it appears)")
    changes = sysctl.diff(wanted, live)
    path, content = request["path"], request["content"]
    before_file = read_text(path)
    file_changed = before_file != content
    if not check_mode:
        if changes:
            sysctl.remember_originals(live)
        if file_changed:
            write_atomically(path, content, mode=0o644)
        sysctl.apply(wanted)
    diff = [
        {
            "before": "".join(f"{name} = {live[name]}\n" for name in sorted(wanted)),
            "after": "".join(f"{name} = {wanted[name]}\n" for name in sorted(wanted)),
            "before_header": "live sysctls",
            "after_header": "planned sysctls",
        },
        {"before": before_file or "", "after": content, "before_header": path, "after_header": path},
    ]
    return {
        "changed": bool(changes) or file_changed,
        "changed_values": changes,
        "diff": diff,
        "waiting": [f"{name} (waiting for interface {interface})" for name, interface in sorted(waiting.items())],
    }
