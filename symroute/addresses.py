"""Parsing of addresses and prefixes into netaddr objects, with readable errors."""

from netaddr import AddrFormatError, IPAddress, IPNetwork

BROADEST_PREFIXLEN = {4: 8, 6: 16}


class AddressError(ValueError):
    """An address or prefix that cannot be used; the message says why."""


def _parse_network(text):
    if not isinstance(text, str) or not text.strip():
        raise AddressError(f"{text!r} is not a prefix")
    try:
        return IPNetwork(text.strip())
    except (AddrFormatError, ValueError, TypeError):
        raise AddressError(f"{text!r} is not a valid IPv4 or IPv6 prefix") from None


def parse_prefix(text):
    """A prefix in network form: '203.0.113.0/24'. Host bits set are an error."""
    network = _parse_network(text)
    if "/" not in text:
        raise AddressError(f"{text!r} has no prefix length (write {network.cidr})")
    if network.value != network.first:
        raise AddressError(f"{text!r} has host bits set; the network form is {network.cidr}")
    return network


def parse_interface_address(text, version):
    """An interface address with its prefix length: '198.51.100.2/30'."""
    network = _parse_network(text)
    if "/" not in text:
        raise AddressError(f"{text!r} needs its prefix length (e.g. {text}/30)")
    if network.version != version:
        raise AddressError(f"{text!r} is not an IPv{version} address")
    return network


def parse_address(text, version=None):
    """A single address, optionally of one IP version."""
    if not isinstance(text, str):
        raise AddressError(f"{text!r} is not an address")
    try:
        address = IPAddress(text.strip())
    except (AddrFormatError, ValueError, TypeError):
        raise AddressError(f"{text!r} is not a valid IP address") from None
    if version is not None and address.version != version:
        raise AddressError(f"{text!r} is not an IPv{version} address")
    return address


def is_broad(network):
    return network.prefixlen < BROADEST_PREFIXLEN[network.version]
