"""The pieces contract.py checks with: whole-token patterns, integer ranges, and a collector of problems."""

import ipaddress
import re

MAX_U32 = 2**32 - 1

TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]{0,200}")
ROUTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
IFNAME = re.compile(r"(?!(\.|\.\.|all|default|lo)$)[A-Za-z0-9_.-]{1,15}")
LINK = re.compile(r"[a-z][a-z0-9_]{0,23}")
PARTNER = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
MARK = re.compile(r"0x[0-9a-f]{1,8}")
FWMARK = re.compile(r"0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8}")
ADDRESS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
PREFIX = re.compile(r"[0-9A-Fa-f:.]{2,45}/[0-9]{1,3}")
SYSCTL = re.compile(r"net\.ipv[46](\.[A-Za-z0-9_@+-]+)+|net/ipv[46](/(?!\.\.?(/|$))[A-Za-z0-9_.@+-]+)+")
SYSCTL_VALUE = re.compile(r"-?[0-9]{1,10}")
PATH = re.compile(r"(?!.*/\.\.?(/|$))/[A-Za-z0-9._+@/-]{1,4095}")
NFT_TEXT = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f]*")


def is_int(value, low=0, high=MAX_U32):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def matches(pattern, value):
    return isinstance(value, str) and pattern.fullmatch(value) is not None


class Problems:
    """Collects problems as ``where: what``."""

    def __init__(self, part):
        self.part, self.problems = part, []

    def add(self, where, text):
        self.problems.append(f"{self.part}: {where}: {text}" if where else f"{self.part}: {text}")

    def keys(self, where, data, required, optional=()):
        if not isinstance(data, dict):
            self.add(where, f"must be an object, not {type(data).__name__}")
            return False
        for key in required:
            if key not in data:
                self.add(where, f"{key} is missing")
        for key in sorted(set(data) - set(required) - set(optional), key=str):
            self.add(where, f"unknown key {repr(key)[:40]}")
        return all(key in data for key in required)

    def token(self, where, value, pattern, what):
        if not matches(pattern, value):
            self.add(where, f"{repr(value)[:80]} is not {what}")
            return False
        return True

    def integer(self, where, value, low=0, high=MAX_U32):
        if not is_int(value, low, high):
            self.add(where, f"{repr(value)[:40]} is not an integer in {low}..{high}")
            return False
        return True

    def items(self, where, value, most):
        if not isinstance(value, list):
            self.add(where, f"must be a list, not {type(value).__name__}")
            return []
        if len(value) > most:
            self.add(where, f"has {len(value)} entries, at most {most} are allowed")
            return []
        return list(enumerate(value))

    def address(self, where, value, family, network=False, interface=False):
        """An address of ``family``; ``network``: a prefix in network form; ``interface``: an interface's
        address with its prefix length (host bits set, as ``ip addr`` holds it)."""
        pattern, what = (
            (PREFIX, "a prefix")
            if network
            else (PREFIX, "an address with its prefix length")
            if interface
            else (ADDRESS, "an address")
        )
        if not self.token(where, value, pattern, f"{what} of IPv{family}"):
            return
        try:
            parsed = (
                ipaddress.ip_network(value, strict=True)
                if network
                else ipaddress.ip_interface(value)
                if interface
                else ipaddress.ip_address(value)
            )
        except ValueError as error:
            self.add(where, f"{value!r} is not {what}{' in network form' if network else ''}: {error}")
            return
        if parsed.version != family:
            self.add(where, f"{value!r} is not {what} of IPv{family}")

    def family(self, where, value):
        if not is_int(value) or value not in (4, 6):
            self.add(where, f"{repr(value)[:20]} is not 4 or 6")
            return None
        return value

    def rule_priority(self, where, value, family, bands, seen):
        """A rule's priority: inside the band, outside the monitor's sub-bands (``bands``: (band, sub-bands)),
        one rule per family and priority (``seen`` collects them)."""
        band, sub_bands = bands
        if not self.integer(where, value) or not band:
            return
        if not band[0] <= value <= band[1] or any(first <= value <= last for first, last in sub_bands):
            self.add(where, f"{value} is outside symroute's band or inside the monitor's")
        if (family, value) in seen:
            self.add(where, f"a second IPv{family} rule at priority {value}")
        seen.add((family, value))
