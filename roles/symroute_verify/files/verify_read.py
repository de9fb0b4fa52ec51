"""Read what symroute_verify checks, as one JSON document (Python standard library only).

Input on stdin (JSON): {"tables": [{link, table, interface, family, gateway}],
"partners": [{family, address, mark}], "management": [address], "monitor_state_file": path}.
Every `ip` call is an argument list (no shell); a table that does not exist
yet reads as no routes, an unroutable address as {} -- never as broken JSON.
"""

import json
import subprocess
import sys


def ip_json(*args, missing):
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return missing
    try:
        return json.loads(result.stdout)
    except ValueError:
        return missing


def main():
    request = json.load(sys.stdin)
    tables = [dict(table, routes=ip_json(f"-{table['family']}", "-N", "-json", "route", "show", "table",
                                         str(table["table"]), missing=[]))
              for table in request["tables"]]
    partners = [ip_json(f"-{probe['family']}", "-json", "route", "get", probe["address"], "mark", probe["mark"],
                        missing=[{}])
                for probe in request["partners"]]
    management = [ip_json("-json", "route", "get", address, missing=[{}]) for address in request["management"]]
    try:
        with open(request["monitor_state_file"], encoding="utf-8") as handle:
            monitor = json.load(handle)
    except (OSError, ValueError):
        monitor = {}
    json.dump({"tables": tables, "partners": partners, "management": management, "monitor": monitor}, sys.stdout)


main()
