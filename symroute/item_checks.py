"""Small checks the link and the partner validation share: list items, repeated values, names, integers."""

from collections.abc import Mapping
from typing import Any, Optional

from .addresses import shown
from .shapes import Collect

# Larger integers were reported by the schema check; they would only slow the other checks down.
MAX_INTEGER = 2**64


def bare(name: object) -> str:
    """A name without quotes when it needs no escaping or shortening, else shown()."""
    text = shown(name)
    return name if isinstance(name, str) and text == f"'{name}'" else text


def mapping_items(value: object) -> list[tuple[int, dict]]:
    """The mapping items of a list, with their positions (others were reported)."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def repeated(seen: dict[Any, str], value: Any, other: str) -> Optional[str]:
    """The item that had ``value`` before (None the first time); ``other`` names this one for the next."""
    earlier = seen.get(value)
    seen.setdefault(value, other)
    return earlier


def check_unique_name(collect: Collect, kind: str, label: str, index: int, name: object, seen: dict[Any, str]) -> None:
    if isinstance(name, str) and (earlier := repeated(seen, name, f"{kind} #{index + 1}")):
        collect.problem(label, f"field name: duplicate {kind} name (also {earlier})")


def integer_option(variables: Mapping[str, Any], key: str, default: Any) -> Any:
    """The integer ``variables[key]``; ``default`` when missing or not a usable integer (reported elsewhere)."""
    value = variables.get(key, default)
    valid = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER
    return value if valid else default
