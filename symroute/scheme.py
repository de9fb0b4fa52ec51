"""The numbers symroute owns: marks, mask, rule priorities (docs/design.md).

Marks live in bits 8-15 of the packet and connection mark, so other tools
keep bits 0-7 and 16-31:

    bit 15        fail-closed flag (the partner must never leave by another link)
    bits 8-14     link number (1-127): link mark = number << 8

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
OFFSET_MAIN_TABLE = 0  # to <LAN/management network> lookup main   (0-99)
OFFSET_FROM_LINK = 100  # from <link address> lookup <link table>  (100 + link index)
OFFSET_LINK_GATE = 150  # (M) fwmark <link mark>/0x7f00 goto <fail-closed rule>  (150 + link index)
OFFSET_LINK_MARK = 200  # fwmark <link mark>/0x7f00 lookup <table>  (200 + link index)
OFFSET_FAIL_CLOSED = 300  # fwmark 0x8000/0x8000 prohibit
OFFSET_OWN_ADDRESS = 350  # from <link address> prohibit             (350 + link index)
OFFSET_FAILOVER = 400  # fwmark <link mark>/0xff00 lookup <other>  (400 + 16 * index + k)
FAILOVER_STRIDE = 16
OFFSET_GENERAL = 900  # (M) lookup main suppress_prefixlength 0; then (901) lookup <healthy link table>

# Sub-bands owned by the link monitor, as offsets (first, last).
MONITOR_BANDS = ((OFFSET_LINK_GATE, OFFSET_LINK_MARK - 1), (OFFSET_GENERAL, PRIORITY_BAND - 1))

NFT_FAMILY = "inet"
NFT_TABLE = "symroute"
TABLE_NAME_PREFIX = "symroute_"


def link_mark(number):
    return number << MARK_SHIFT


def hex_mark(value):
    return f"0x{value:x}"


def mark_with_mask(value, mask):
    return f"{hex_mark(value)}/{hex_mark(mask)}"


def keep_other_bits_mask():
    """Mask that clears symroute's bits and keeps everybody else's."""
    return 0xFFFFFFFF & ~MARK_MASK
