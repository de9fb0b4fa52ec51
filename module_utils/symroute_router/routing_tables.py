"""The tables symroute owns: their order, and the tables of the last applied state remembered
(``OWNED_TABLES_FILE``) so that the routes of a link removed from the plan are flushed on the next apply."""

import json

from . import files

OWNED_TABLES_FILE = "/var/lib/symroute/routing-tables.json"


def sorted_tables(tables):
    return sorted({str(t) for t in tables}, key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t))


def previously_owned(path):
    """The tables of the last applied state (none when unknown)."""
    try:
        owned = json.loads(files.read_text(path) or "[]") if path else []
    except (OSError, ValueError):
        return []
    return sorted_tables(t for t in owned if str(t).isdigit()) if isinstance(owned, list) else []


def table_id(table):
    return int(table) if table.isdigit() else table


def remember(owned_path, wanted, live):
    still = {r["table"] for r in live["routes"]}
    tables = set(wanted["tables"]) | (set(live["previously_owned"]) & still)
    try:
        files.write_atomically(owned_path, json.dumps([table_id(t) for t in sorted_tables(tables)]) + "\n")
    except OSError:
        pass  # the next apply flushes fewer old tables; nothing else depends on it
