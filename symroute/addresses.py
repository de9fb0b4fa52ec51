"""Parsing of addresses and prefixes into netaddr objects, with readable errors.

The inventory is untrusted text: only the plain textual forms are accepted
(dotted-quad IPv4, RFC 4291 IPv6, '/' and a decimal prefix length), never
whitespace, control characters, integers, hex or abbreviated IPv4.
"""

import re
import reprlib
from typing import Optional

from netaddr import INET_PTON, AddrFormatError, IPAddress, IPNetwork

BROADEST_PREFIXLEN = {4: 8, 6: 16}
WIDTH = {4: 32, 6: 128}
SHOWN_LENGTH = 80

# Longest IPv6 text: ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 (45 characters).
_ADDRESS_TEXT = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_LENGTH_TEXT = re.compile(r"0|[1-9][0-9]{0,2}")

# Ranges no partner prefix may touch without allow_special_use, and no link address may sit in.
SPECIAL_USE = (
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
)


def _ranges_by_version(table):
    ranges = {4: [], 6: []}
    for text, name in table:
        network = IPNetwork(text)
        ranges[network.version].append((network.first, network.last, name, text))
    return ranges


_SPECIAL_BY_VERSION = _ranges_by_version(SPECIAL_USE)


class AddressError(ValueError):
    """An address or prefix that cannot be used; the message says why."""


class _ShortRepr(reprlib.Repr):
    """reprlib that never fails: bounded depth, and huge integers by their size."""

    def repr_int(self, value, level):
        if value.bit_length() > 128:
            return f"<an integer of {value.bit_length()} bits>"
        return repr(value)


_SHORT_REPR = _ShortRepr()
_SHORT_REPR.maxlevel = 3
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = SHOWN_LENGTH


def shown(value: object) -> str:
    """An untrusted value for a message: its repr (newlines as \\n), about 80 characters at most."""
    text = repr(value[: SHOWN_LENGTH + 1]) if isinstance(value, str) else _SHORT_REPR.repr(value)
    return text if len(text) <= SHOWN_LENGTH + 2 else text[:SHOWN_LENGTH] + "…"


def _plain_address(text):
    if _ADDRESS_TEXT.fullmatch(text) is None:
        return None
    try:
        return IPAddress(text, flags=INET_PTON)
    except (AddrFormatError, ValueError):
        return None


def parse_address(text: object, version: Optional[int] = None) -> IPAddress:
    """A single address in plain text form, optionally of one IP version."""
    if not isinstance(text, str):
        raise AddressError(f"{shown(text)} is not an address")
    address = _plain_address(text)
    if address is None:
        raise AddressError(f"{shown(text)} is not a valid IP address")
    if version is not None and address.version != version:
        raise AddressError(f"{shown(text)} is not an IPv{version} address")
    return address


def _parse_network(text):
    """(IPNetwork, True) for ADDRESS/LENGTH text; (the address as a host network, False) without a length."""
    if not isinstance(text, str):
        raise AddressError(f"{shown(text)} is not a prefix")
    address_text, slash, length_text = text.partition("/")
    try:
        address = parse_address(address_text)
    except AddressError:
        raise AddressError(f"{shown(text)} is not a valid IPv4 or IPv6 prefix") from None
    width = WIDTH[address.version]
    if not slash:
        return IPNetwork((int(address), width), version=address.version), False
    if _LENGTH_TEXT.fullmatch(length_text) is None or int(length_text) > width:
        raise AddressError(f"{shown(text)} is not a valid IPv4 or IPv6 prefix")
    return IPNetwork((int(address), int(length_text)), version=address.version), True


def parse_prefix(text: object) -> IPNetwork:
    """A prefix in network form: '203.0.113.0/24'. Host bits set are an error."""
    network, has_length = _parse_network(text)
    if not has_length:
        raise AddressError(f"{shown(text)} has no prefix length (write {network.cidr})")
    if network.value != network.first:
        raise AddressError(f"{shown(text)} has host bits set; the network form is {network.cidr}")
    return network


def parse_interface_address(text: object, version: int) -> IPNetwork:
    """An interface address with its prefix length: '198.51.100.2/30'."""
    network, has_length = _parse_network(text)
    if not has_length:
        raise AddressError(f"{shown(text)} needs its prefix length (e.g. {network.ip}/{30 if version == 4 else 64})")
    if network.version != version:
        raise AddressError(f"{shown(text)} is not an IPv{version} address")
    return network


def is_broad(network: IPNetwork) -> bool:
    return network.prefixlen < BROADEST_PREFIXLEN[network.version]


def special_use(network: IPNetwork) -> Optional[tuple[str, str]]:
    """(name, range) of the first special-use range that ``network`` overlaps, or None.

    ``network`` is an IPNetwork (overlap either way: containing or inside the
    range) or an IPAddress. Integer comparisons only: it runs for every prefix.
    """
    if isinstance(network, IPNetwork):
        first, last = network.first, network.last
    else:
        first = last = int(network)
    for range_first, range_last, name, text in _SPECIAL_BY_VERSION[network.version]:
        if first <= range_last and range_first <= last:
            return name, text
    return None
