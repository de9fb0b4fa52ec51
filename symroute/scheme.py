"""The numbers symroute owns: marks, mask, rule priorities (docs/design.md).

Marks live in bits 8-15 of the packet and connection mark, so other tools
keep bits 0-7 and 16-31:

    bit 15        fail-closed flag (the partner must never leave by another link)
    bits 8-14     link number (1-127): link mark = number << 8; numbers no link
                  uses name a partner's own failover order (``failover_links``)

A link is out of service while its interface is in the interface group
OUT_OF_SERVICE_GROUP (the link monitor moves it there and back): every rule
that routes forwarded traffic by a link's table carries
``suppress_ifgroup OUT_OF_SERVICE_GROUP``, so one netlink message takes a
link out of every path (pinned, failover, general) in both families.

Rule priorities are offsets from ``symroute_rule_priority_base`` (10000 by
default); symroute owns exactly [base, base + 999].
"""

MARK_MASK = 0xFF00
LINK_MARK_MASK = 0x7F00
FAIL_CLOSED_BIT = 0x8000
MARK_SHIFT = 8
PRIORITY_BAND = 1000

# Offsets inside the band, in evaluation order. (M) marks the link monitor's
# rules: present only while a link is down; symroute-routing leaves them alone.
# "(S)" = the rule carries suppress_ifgroup OUT_OF_SERVICE_GROUP.
OFFSET_MAIN_TABLE = 0  # to <LAN/management network> lookup main   (0-99)
OFFSET_FROM_LINK = 100  # from <link address> lookup <link table>  (100 + link index; probes use it)
OFFSET_FROM_SHARED = 150  # HA pair: from <shared address> lookup <link table>  (150 + link index)
OFFSET_LINK_MARK = 200  # fwmark <link mark>/0x7f00 lookup <link table> (S)  (200 + link index)
OFFSET_FAIL_CLOSED = 300  # fwmark 0x8000/0x8000 prohibit
OFFSET_OWN_ADDRESS = 350  # from <link address> prohibit             (350 + link index)
OFFSET_SHARED_ADDRESS = 370  # HA pair: from <shared address> prohibit  (370 + link index)
OFFSET_ORDER = 400  # a partner's own failover order q: 400 + ORDER_STRIDE * q + k
ORDER_STRIDE = 20  #   k = 0 pinned link (S), 1.. its failover links (S), last: prohibit
OFFSET_FAILOVER = 870  # not fwmark 0x0/0x7f00 lookup <link table> (S)  (870 + link index: links in order)
# Every order's block ends before the shared chain: 23 orders.
MAX_FAILOVER_ORDERS = (OFFSET_FAILOVER - OFFSET_ORDER) // ORDER_STRIDE
OFFSET_NO_LINK = 899  # not fwmark 0x0/0x7f00 prohibit: marked traffic and no link in service
OFFSET_GENERAL = 900  # (M) lookup main (S); then (901 + link index) lookup <link table> (S)

# Sub-band owned by the link monitor, as offsets (first, last).
MONITOR_BANDS = ((OFFSET_GENERAL, PRIORITY_BAND - 1),)
# The interface group of a link taken out of service (0 = "default" is in service).
OUT_OF_SERVICE_GROUP = 0x5359
IN_SERVICE_GROUP = 0

NFT_FAMILY = "inet"
NFT_TABLE = "symroute"
TABLE_NAME_PREFIX = "symroute_"


def link_mark(number: int) -> int:
    return number << MARK_SHIFT


def hex_mark(value: int) -> str:
    return f"0x{value:x}"


def mark_with_mask(value: int, mask: int) -> str:
    return f"{hex_mark(value)}/{hex_mark(mask)}"


def keep_other_bits_mask() -> int:
    """Mask that clears symroute's bits and keeps everybody else's."""
    return 0xFFFFFFFF & ~MARK_MASK
