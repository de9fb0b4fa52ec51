"""The doctor's options, checked strictly: one clear message per bad value, never a traceback.

Shared by the command line (``__main__``) and the Ansible module, so both refuse the
same values with the same words. Every checker takes text (or, from Ansible, the
value as given) and returns the checked value or raises ``OptionError``.
"""

import ipaddress
import re

LINK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
# What the kernel takes as an interface name (dev_valid_name): 1-15 bytes, no '/', ':' or
# whitespace, not '.' or '..'. 'all', 'default' and 'lo' are never a WAN link ('all' and
# 'default' would even read other settings under /proc/sys/net/ipv4/conf).
_INTERFACE = re.compile(r"[!-.0-9;-~]{1,15}")  # printable ASCII but "/" and ":"
_NOT_INTERFACES = {".", "..", "all", "default", "lo"}
_DIGITS = re.compile(r"[0-9]{1,7}")
_TARGET = re.compile(r"(?P<v4>[0-9.]{7,15})|\[(?P<v6>[0-9A-Fa-f:.]{2,45})\]")
_PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
MAX_TARGETS = 64
MAX_SITE_ADDRESSES = 32
MAX_LINKS = 32
RANGES = {"watch": (0, 3600), "timeout_ms": (1, 60000), "prefix_length4": (8, 32), "prefix_length6": (16, 128)}


class OptionError(ValueError):
    """A value the doctor refuses; its text is one line."""


def shown(value):
    """A value as a message shows it: its repr (newlines as \\n), about 60 characters at most."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(value, key, what=None):
    """An integer in RANGES[key]: digits only from text (no sign, no '1.5', no '1e3'), never a bool;
    ``what`` names it in the message (default: the key)."""
    low, high = RANGES[key]
    what = what or key
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise OptionError(f"{what} {shown(value)} is not an integer {low}-{high}")
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            raise OptionError(f"{what} {shown(value)} is not an integer {low}-{high}")
        value = int(value)
    if not low <= value <= high:
        raise OptionError(f"{what} {value} is outside {low}-{high}")
    return value


def unicast_address(text, what):
    """An IP address literal (never a name: no DNS) that can be a connection's end."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9A-Fa-f:.]{2,45}", text):
        raise OptionError(f"{what} {shown(text)} is not an IP address (write the address itself, no name)")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise OptionError(f"{what} {shown(text)} is not an IP address") from None
    if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
        raise OptionError(f"{what} {shown(text)} is not a routable unicast address")
    return str(address)


def target(text):
    """``ADDRESS:PORT`` or ``[IPV6]:PORT`` as {"text", "address", "port", "family"}."""
    if not isinstance(text, str):
        raise OptionError(f"target {shown(text)} is not text: write ADDRESS:PORT or [IPV6]:PORT")
    host, colon, port = text.rpartition(":")
    match = _TARGET.fullmatch(host) if colon else None
    if match is None:
        raise OptionError(f"target {shown(text)} is not ADDRESS:PORT or [IPV6]:PORT (an IP address, no name)")
    if not _DIGITS.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise OptionError(f"target {shown(text)}: the port must be an integer 1-65535")
    address = unicast_address(match.group("v4") or match.group("v6"), "target address")
    family = 6 if match.group("v6") else 4
    if ipaddress.ip_address(address).version != family:
        raise OptionError(f"target {shown(text)}: an IPv6 address goes in brackets, an IPv4 address does not")
    shown_address = f"[{address}]" if family == 6 else address
    return {"text": f"{shown_address}:{int(port)}", "address": address, "port": int(port), "family": family}


def interface(text):
    """An interface name as the kernel allows it (and not 'lo', 'all', 'default')."""
    if not isinstance(text, str) or not _INTERFACE.fullmatch(text) or text in _NOT_INTERFACES:
        raise OptionError(
            f"interface {shown(text)} is not an interface name (1-15 printable characters, "
            "no '/', ':' or space; not '.', '..', 'lo', 'all' or 'default')"
        )
    return text


def link_name(text):
    if not isinstance(text, str) or not LINK_NAME.fullmatch(text):
        raise OptionError(f"link name {shown(text)} is not 1-32 letters, digits, '_', '.' or '-'")
    return text


def link(text):
    """``NAME=INTERFACE`` as (name, interface)."""
    if not isinstance(text, str) or "=" not in text:
        raise OptionError(f"link {shown(text)} is not NAME=INTERFACE")
    name, _equals, device = text.partition("=")
    return link_name(name), interface(device)


def links(pairs):
    """[(name, interface)] with no name or interface given twice, as {interface: name}."""
    if len(pairs) > MAX_LINKS:
        raise OptionError(f"at most {MAX_LINKS} links")
    by_interface, names = {}, set()
    for name, device in pairs:
        if name in names or device in by_interface:
            raise OptionError(f"link {shown(f'{name}={device}')}: the name or the interface is given twice")
        names.add(name)
        by_interface[device] = name
    return by_interface


def path(text, what):
    if not isinstance(text, str) or not text or _PATH_FORBIDDEN.search(text) or len(text) > 4096:
        raise OptionError(f"{what} {shown(text)} is not a file path")
    return text


def targets(values):
    if len(values) > MAX_TARGETS:
        raise OptionError(f"at most {MAX_TARGETS} targets")
    checked = [target(value) for value in values]
    return [t for index, t in enumerate(checked) if t["text"] not in [u["text"] for u in checked[:index]]]


def site_addresses(values):
    if len(values) > MAX_SITE_ADDRESSES:
        raise OptionError(f"at most {MAX_SITE_ADDRESSES} site addresses")
    return [unicast_address(value, "site address") for value in values]
