"""symroute's nftables table: read, check, load, diff, drift, and its include in /etc/nftables.conf.

symroute's file holds the whole transaction (``table T`` / ``delete table T`` /
``table T { ... }``), so loading it replaces the table in one step and a file
the kernel refuses leaves the old table as it was. Diffs compare the installed
file with the new one (both written by symroute); the live listing, which nft
reformats, is compared only with the listing saved after the last load, to
detect changes made by hand.
"""

import difflib
import os
import re

from . import files, nftparse
from .command import message

DEFAULT_TABLE = "inet symroute"
SHEBANG = "#!/usr/sbin/nft -f"


class NftError(Exception):
    """nft refused a command; the message is nft's."""


def _table_words(table):
    words = table.split()
    if len(words) != 2:
        raise ValueError(f"not a table (family name): {table!r}")
    return words


def read_table(runner, table=DEFAULT_TABLE):
    """The listing of ``table`` (``nft list table``), or None when it does not exist."""
    result = runner.run(["nft", "list", "table", *_table_words(table)])
    if result.rc == 0:
        return result.stdout
    if "No such file or directory" in result.stderr:
        return None
    raise NftError(message(result, f"nft list table {table} failed"))


def check(runner, content):
    """Raise NftError unless nft accepts ``content`` (``nft -c``: nothing changes)."""
    result = runner.run(["nft", "-c", "-f", "-"], stdin=content)
    if result.rc != 0:
        raise NftError(message(result, "nft -c refused the content"))


def load(runner, content):
    """Load ``content`` in one transaction (``nft -f -``); raise NftError when nft refuses it."""
    result = runner.run(["nft", "-f", "-"], stdin=content)
    if result.rc != 0:
        raise NftError(message(result, "nft -f refused the content"))


def delete_table(runner, table=DEFAULT_TABLE):
    """Delete ``table``; False when it did not exist."""
    result = runner.run(["nft", "delete", "table", *_table_words(table)])
    if result.rc == 0:
        return True
    if "No such file or directory" in result.stderr:
        return False
    raise NftError(message(result, f"nft delete table {table} failed"))


def reload_listing(table, listing):
    """A transaction that replaces ``table`` with a saved listing of it (``nft list table`` output)."""
    return f"table {table}\ndelete table {table}\n{listing}"


def _readable(text):
    try:
        return nftparse.lines(text)
    except nftparse.NftSyntaxError:  # still shown, line by line
        return [line.strip() for line in text.splitlines() if line.strip()]


def diff(before, after):
    """{"added": [...], "removed": [...]}: the statements a person reads, ``before`` may be None (no file)."""
    old, new = _readable(before), _readable(after)
    added, removed = [], []
    for tag, first, last, start, end in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += old[first:last]
        if tag in ("replace", "insert"):
            added += new[start:end]
    return {"added": added, "removed": removed}


def _resolved(line):
    """True for an element the router's resolver added (with a timeout): partners by DNS name, not drift."""
    statement = line.split(": ", 1)[-1]
    return statement.startswith("elements = {") and (" timeout " in statement or " expires " in statement)


_COUNTED = re.compile(r"counter packets \d+ bytes \d+")


def _configured(listing):
    """The listing's statements without what the traffic changes: resolved elements, counters' values."""
    return [_COUNTED.sub("counter", line) for line in nftparse.lines(listing) if not _resolved(line)]


def drifted(listing_now, listing_saved):
    """True when the live table differs from the listing saved at the last load (or either is missing).

    Elements with a timeout are left out: the resolver adds them between loads (monitor/resolving.py);
    so are counters' values (an HA pair's ``ha_unsynced`` chain counts what it drops).
    """
    if listing_now is None or listing_saved is None:
        return True
    try:
        return _configured(listing_now) != _configured(listing_saved)
    except nftparse.NftSyntaxError:
        return True


def _lines(path):
    text = files.read_text(path)
    return None if text is None else text.splitlines()


def ensure_include(path, line):
    """Make ``path`` (/etc/nftables.conf) hold ``line``; create it with the nft shebang if absent."""
    existing = _lines(path)
    if existing is None:
        return files.write_atomically(path, f"{SHEBANG}\n{line}\n", mode=0o755)
    if any(entry.strip() == line.strip() for entry in existing):
        return False
    return files.write_atomically(path, "\n".join(existing + [line]) + "\n", mode=files.mode_of(path))


def remove_include(path, line):
    """Remove ``line`` from ``path``; False when it was not there."""
    existing = _lines(path)
    if existing is None or not any(entry.strip() == line.strip() for entry in existing):
        return False
    kept = [entry for entry in existing if entry.strip() != line.strip()]
    return files.write_atomically(path, "\n".join(kept) + ("\n" if kept else ""), mode=files.mode_of(path))


def include_line(nft_file):
    """The include line for symroute's file: ``include "/etc/symroute/symroute.nft"``."""
    if '"' in nft_file or not os.path.isabs(nft_file):
        raise ValueError(f"not an absolute path that nft can include: {nft_file!r}")
    return f'include "{nft_file}"'
