"""Find every pair of overlapping prefixes in O(n log n).

CIDR prefixes either nest or are disjoint, so one sort and a stack of the
prefixes that are still "open" finds each containing prefix of each prefix.
"""

from collections import namedtuple
from collections.abc import Iterable, Iterator

Entry = namedtuple("Entry", "network owner")
Interval = namedtuple("Interval", "first last entry")


def sorted_intervals(entries: Iterable[Entry]) -> dict[int, list[Interval]]:
    """{4: [Interval], 6: [Interval]} of ``entries`` (Entry(network, owner)), in the order the sweep reads them:
    by first address, the containing prefix before the contained one."""
    by_family = {4: [], 6: []}
    for entry in entries:
        network = entry.network
        by_family[network.version].append(Interval(network.first, network.last, entry))
    for intervals in by_family.values():
        intervals.sort(key=lambda i: (i.first, -i.last, i.entry.owner))
    return by_family


def sweep(by_family: dict[int, list[Interval]]) -> Iterator[tuple[Entry, Entry]]:
    """Yield (outer, inner) entries for every pair of ``sorted_intervals`` where outer contains (or equals) inner.

    The stack holds at most one prefix per prefix length, so the pairs are
    bounded by 129 per prefix.
    """
    for intervals in by_family.values():
        stack = []
        for interval in intervals:
            while stack and stack[-1].last < interval.first:
                stack.pop()
            for outer in stack:
                yield outer.entry, interval.entry
            stack.append(interval)


def overlapping_pairs(entries: Iterable[Entry]) -> Iterator[tuple[Entry, Entry]]:
    """Yield (outer, inner) for every pair where outer contains (or equals) inner.

    ``entries`` is an iterable of Entry(network, owner); families never mix.
    """
    yield from sweep(sorted_intervals(entries))
