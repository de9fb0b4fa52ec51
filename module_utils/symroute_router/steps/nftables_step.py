"""symroute's nftables table: the file checked with ``nft -c``, loaded in one transaction when it changed
or the live table drifted, and optionally included from the system's nftables configuration."""

from .. import contract, nftables
from ..files import read_text, runs_systemd, write_atomically
from ..locking import LOCK_FILE, locked
from . import StepFailed


def _reason(installed, content, live, listing, table):
    if installed != content:
        return "the file changed" if installed is not None else "first load"
    if live is None:
        return f"the live table {table} is missing"
    if nftables.drifted(live, listing):
        return f"the live table {table} was changed by hand"
    return ""


def run(request, check_mode, runner):
    """``request``: ``nftables`` (the slice with the rendered file), ``path``, ``listing_path``, ``include_in``."""
    refused = contract.refusal("nftables", request["nftables"])
    if refused:
        raise StepFailed(refused)
    content, table = request["nftables"]["content"], request["nftables"]["table"]
    installed = read_text(request["path"])
    reason = _reason(installed, content, nftables.read_table(runner, table), read_text(request["listing_path"]), table)
    if reason:  # unchanged and not drifted: the installed file was checked and loaded before; nothing loads now
        try:
            nftables.check(runner, content)
        except nftables.NftError as error:
            raise StepFailed(f"nft -c refused the rendered file: {error}") from None
    include_in = request.get("include_in") or ""
    include_line = f'include "{request["path"]}"'
    include_changed = bool(include_in) and include_line not in (read_text(include_in) or "").splitlines()
    if not check_mode:
        if reason:
            # The monitor's repair compares the file's listing with the live table under the same lock.
            with locked(LOCK_FILE):
                write_atomically(request["path"], content, mode=0o600)
                try:
                    nftables.load(runner, content)
                except nftables.NftError as error:
                    raise StepFailed(f"loading the table failed: {error}") from None
                write_atomically(request["listing_path"], nftables.read_table(runner, table) or "", mode=0o600)
        if include_changed:
            nftables.ensure_include(include_in, include_line)
    diff = {
        "before": installed or "",
        "after": content,
        "before_header": request["path"],
        "after_header": request["path"],
    }
    return {
        "changed": bool(reason) or include_changed,
        "reason": reason,
        "include_changed": include_changed,
        "elements": nftables.diff(installed or "", content),
        "diff": diff,
        "systemd": runs_systemd(),
    }
