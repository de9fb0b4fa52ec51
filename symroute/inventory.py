"""Pick symroute's variables out of a router's variables, as plain Python data."""

from .model import INVENTORY_KEYS
from .yaml_strict import VaultValue


def plain(value):
    """Deep copy into plain dict/list/str/int/float/bool/None (no templating types)."""
    if isinstance(value, bool) or value is None:
        return value
    if type(value).__name__ == "EncryptedString":
        # Ansible Vault: kept encrypted, never decrypted; refused in symroute's variables.
        return VaultValue(getattr(value, "_ciphertext", ""))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def router_variables(variables):
    """The inventory contract's variables of one router, other variables left out."""
    try:
        keys = [key for key in INVENTORY_KEYS if key in variables]
    except TypeError:
        return variables
    return {key: plain(variables[key]) for key in keys}
