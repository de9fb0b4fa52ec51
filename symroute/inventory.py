"""Pick symroute's variables out of a router's variables, as plain Python data."""

from typing import Any, Optional

from .yaml_strict import VaultValue


def plain(value: Any, copies: Optional[dict[int, tuple[Any, Any]]] = None) -> Any:
    """Deep copy into plain dict/list/str/int/float/bool/None (no templating types).

    ``copies`` ({id: (original, copy)}, shared by the calls of one load): a mapping or list met again (the
    partner list that every router of a group holds) is copied once and its copy shared, so per-prefix work
    is not repeated per router; nothing changes the copies afterwards.
    """
    if isinstance(value, bool) or value is None:
        return value
    if type(value).__name__ == "EncryptedString":
        # Ansible Vault: kept encrypted, never decrypted; refused in symroute's variables.
        return VaultValue(getattr(value, "_ciphertext", ""))
    if isinstance(value, VaultValue):  # the same, as yaml_strict read it (a partner file handed to Ansible)
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if not isinstance(value, (dict, list, tuple)):
        return value
    if copies is not None and id(value) in copies:
        return copies[id(value)][1]
    copy: object
    if isinstance(value, dict):
        copy = {plain(key, copies): plain(item, copies) for key, item in value.items()}
    else:
        copy = [plain(item, copies) for item in value]
    if copies is not None:
        copies[id(value)] = (value, copy)  # the original is held, so its id is not reused during the load
    return copy
