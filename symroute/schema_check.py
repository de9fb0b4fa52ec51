"""Structural validation against the JSON Schema, as readable problems.

The schema is written for editors (ECMA regexes); the validator here is
stricter where Python's defaults are lax:

- ``pattern`` must match the whole value (``re.fullmatch``): with ``re.search``
  a ``$`` also matches before a final newline, so "acme\\n" passed as a name;
- ``integer`` means an int, never a float such as 200.0 nor a boolean;
- the keywords whose stock message is the repr() of the value are replaced,
  so a hostile value (10 MB, nested 10,000 deep, a 5,000-digit integer)
  neither crashes nor floods the report: ``_message`` words every problem and
  shows at most about 80 characters of a value.
"""

import difflib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

from jsonschema import Draft202012Validator, ValidationError, validators

from .addresses import shown
from .errors import Problem
from .model import INVENTORY_KEYS, LINKS, PARTNERS

SCHEMA_PATH = Path(__file__).parent / "schema" / "inventory.schema.json"
MAX_SUGGESTED_KEY = 64

_TYPE_NAMES = (  # bool before int: a boolean is an int in Python
    (str, "a string"),
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (list, "a list"),
    (dict, "a mapping"),
    (type(None), "empty"),
)


def _is_integer(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


# keyword -> violated(validator, keyword value, instance, schema). The schema uses no other keyword
# whose stock message shows the instance (required, minItems and the applicators are safe); its
# enums list strings only.
_VIOLATED = {
    "type": lambda v, types, x, s: not any(v.is_type(x, t) for t in ([types] if isinstance(types, str) else types)),
    "enum": lambda v, values, x, s: not any(isinstance(x, str) and x == value for value in values),
    "pattern": lambda v, pattern, x, s: v.is_type(x, "string") and re.fullmatch(pattern, x) is None,
    "maxLength": lambda v, length, x, s: v.is_type(x, "string") and len(x) > length,
    "minimum": lambda v, bound, x, s: v.is_type(x, "number") and x < bound,
    "maximum": lambda v, bound, x, s: v.is_type(x, "number") and x > bound,
    "additionalProperties": lambda v, allowed, x, s: (
        allowed is False and v.is_type(x, "object") and any(key not in s.get("properties", {}) for key in x)
    ),
}


def _keyword(violated):
    def keyword(validator, value, instance, schema):
        if violated(validator, value, instance, schema):
            yield ValidationError("worded by schema_check._message")

    return keyword


StrictValidator = validators.extend(
    Draft202012Validator,
    validators={name: _keyword(violated) for name, violated in _VIOLATED.items()},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The inventory JSON Schema (also shipped for editors)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    return StrictValidator(schema())


def named(kind: str, name: object) -> str:
    """ "partner 'acme'": a hostile name is shown escaped and shortened."""
    return f"{kind} {shown(name)}"


def item_label(kind: str, index: int, item: object) -> str:
    """How problems name one partner or link: by its name, else by its position."""
    name = item.get("name") if isinstance(item, dict) else None
    return named(kind, name) if isinstance(name, str) and name else f"{kind} #{index + 1}"


def describe_item(data: Any, path: Iterable[Any]) -> tuple[str, list[Any]]:
    """Name the inventory item a schema path points into, e.g. "partner 'acme'"."""
    path = list(path)
    if not path:
        return "", []
    key = path[0]
    if key in (PARTNERS, LINKS) and len(path) > 1 and isinstance(path[1], int):
        kind = "partner" if key == PARTNERS else "link"
        return item_label(kind, path[1], data.get(key)[path[1]]), path[2:]
    return str(key), path[1:]


def field_name(rest: Iterable[Any]) -> str:
    text = ""
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def where(router: str, data: Any, path: Iterable[Any]) -> tuple[str, str]:
    """("edge, partner 'acme'", "field prefixes[1]") for a schema path."""
    label, rest = describe_item(data, path)
    field = field_name(rest)
    return ", ".join(p for p in (router, label) if p), (f"field {field}: " if field else "")


def _type_name(value):
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), type(value).__name__)


def key_problem(key: object) -> Optional[str]:
    """The message for a mapping key that is not a string (YAML `1:` or `~:`), else None."""
    return None if isinstance(key, str) else f"key {shown(key)} is not a string"


def _unknown_key(key, known):
    close = difflib.get_close_matches(key, known, n=1) if len(key) <= MAX_SUGGESTED_KEY else []
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key {shown(key)}{hint}"


def _unknown_keys(error):
    known = sorted(error.schema.get("properties", {}))
    extra = sorted((key for key in error.instance if key not in known), key=repr)
    return "; ".join(key_problem(key) or _unknown_key(key, known) for key in extra)


def _wanted_type(error):
    wanted = error.validator_value
    wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
    article = "an" if wanted[0] in "aeiou" else "a"
    if error.instance is None:
        return f"must be {article} {wanted}, got nothing (the key is written without a value)"
    return f"must be {article} {wanted}, got {_type_name(error.instance)} {shown(error.instance)}"


_MESSAGES = {
    "additionalProperties": _unknown_keys,
    "required": lambda e: e.message.replace("is a required property", "is required but missing"),
    "type": _wanted_type,
    "enum": lambda e: f"must be one of {', '.join(map(str, e.validator_value))}; got {shown(e.instance)}",
    "pattern": lambda e: (
        f"{shown(e.instance)} does not have the expected form ({e.schema.get('description', e.validator_value)})"
    ),
    "maxLength": lambda e: f"{shown(e.instance)} is longer than {e.validator_value} characters",
    "minimum": lambda e: f"{shown(e.instance)} is out of range (minimum {e.validator_value})",
    "maximum": lambda e: f"{shown(e.instance)} is out of range (maximum {e.validator_value})",
    "minItems": lambda e: "must list at least one entry",
    "maxItems": lambda e: f"lists {len(e.instance)} entries; at most {e.validator_value}",
}


def _message(error):
    message = _MESSAGES.get(error.validator)
    return message(error) if message else f"does not satisfy the schema's {error.validator} {error.validator_value!r}"


def _lean(document):
    """The same verdicts, faster: a prefix (or domain) list of strings only is checked as one string.

    Validating 100,000 prefix strings one by one costs seconds and cannot fail
    when every item is a string; a list with any other item is kept whole, so
    the problem and its index are reported exactly.
    """
    partners = document.get(PARTNERS)
    if not isinstance(partners, list):
        return document
    lean = []
    for partner in partners:
        prefixes = partner.get("prefixes") if isinstance(partner, dict) else None
        if isinstance(prefixes, list) and len(prefixes) > 1 and all(type(p) is str for p in prefixes):
            partner = dict(partner, prefixes=prefixes[:1])
        domains = partner.get("domains") if isinstance(partner, dict) else None
        if (
            isinstance(domains, list)
            and 1 < len(domains) <= 64  # over 64: maxItems must see them
            and all(type(d) is str for d in domains)
        ):
            partner = dict(partner, domains=domains[:1])
        lean.append(partner)
    return dict(document, **{PARTNERS: lean})


def _violations(document):
    """(path, message) of every schema violation of ``document``."""
    return [(list(error.absolute_path), _message(error)) for error in _validator().iter_errors(document)]


def partner_schema_errors(partners: Any) -> list[tuple[list[Any], str]]:
    """(path, message) of every schema violation of a partner list, by its path in the inventory document.

    The schema constrains each top-level variable on its own (``properties``, no
    rule across variables), so the partner list's violations are the same
    whatever the router's other variables are: routers sharing the list share them.
    """
    return _violations(_lean({PARTNERS: partners}))


def structural_problems(
    router: str,
    data: Any,
    partner_errors: Callable[[Any], list[tuple[list[Any], str]]] = partner_schema_errors,
) -> list[Problem]:
    """Every schema violation of one router's inventory variables, and keys that are not strings.

    ``partner_errors``: partner_schema_errors, or a function that gives the same answer (shared).
    """
    problems = [Problem(router, message) for message in map(key_problem, data) if message]
    document = {key: data[key] for key in INVENTORY_KEYS if key in data}
    others = {key: value for key, value in document.items() if key != PARTNERS}
    found = (partner_errors(document[PARTNERS]) if PARTNERS in document else []) + _violations(others)
    for path, message in found:
        location, field = where(router, document, path)
        problems.append(Problem(location, field + message))
    return problems
