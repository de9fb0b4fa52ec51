"""`nft -json` listings read as plain objects; nft missing or refusing reads as an explanation, never an error."""

import json

from ..command import message


def listing(runner, args):
    """(objects, None) of ``nft -json ARGS``: [(kind, body)] in order; or (None, why it could not be read)."""
    result = runner.run(["nft", "-json", *args])
    if result.rc == 127:
        return None, "nft is not installed"
    if result.rc != 0:
        return None, message(result, f"nft exited with status {result.rc}")
    try:
        document = json.loads(result.stdout)
    except ValueError:
        return None, "nft printed no JSON"
    items = document.get("nftables") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return None, "nft printed no JSON listing"
    objects = []
    for item in items:
        if isinstance(item, dict) and len(item) == 1:
            kind, body = next(iter(item.items()))
            if isinstance(body, dict):
                objects.append((kind, body))
    return objects, None
