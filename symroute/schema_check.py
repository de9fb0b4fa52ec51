"""Structural validation against the JSON Schema, as readable problems."""

import difflib
import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

from .errors import Problem
from .model import INVENTORY_KEYS, LINKS, PARTNERS

SCHEMA_PATH = Path(__file__).parent / "schema" / "inventory.schema.json"

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "a list",
    dict: "a mapping",
    type(None): "empty",
}


@lru_cache(maxsize=1)
def schema():
    """The inventory JSON Schema (also shipped for editors)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    return Draft202012Validator(schema())


def describe_item(data, path):
    """Name the inventory item a schema path points into, e.g. "partner 'acme'"."""
    path = list(path)
    if not path:
        return "", []
    key = path[0]
    if key in (PARTNERS, LINKS) and len(path) > 1 and isinstance(path[1], int):
        kind = "partner" if key == PARTNERS else "link"
        item = data.get(key)[path[1]]
        name = item.get("name") if isinstance(item, dict) else None
        label = f"{kind} '{name}'" if isinstance(name, str) and name else f"{key}[{path[1]}]"
        return label, path[2:]
    return str(key), path[1:]


def field_name(rest):
    text = ""
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def where(router, data, path):
    """("edge, partner 'acme'", "field prefixes[1]") for a schema path."""
    label, rest = describe_item(data, path)
    field = field_name(rest)
    return ", ".join(p for p in (router, label) if p), (f"field {field}: " if field else "")


def _type_name(value):
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _message(error):
    validator = error.validator
    instance = error.instance
    if validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(instance) - set(known))
        texts = []
        for key in extra:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
            texts.append(f"unknown key '{key}'{hint}")
        return "; ".join(texts)
    if validator == "required":
        return error.message.replace("is a required property", "is required but missing")
    if validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"must be {'an' if wanted[0] in 'aeiou' else 'a'} {wanted}, got {_type_name(instance)} {instance!r}"
    if validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}; got {instance!r}"
    if validator == "pattern":
        return f"{instance!r} does not have the expected form ({error.schema.get('description', error.validator_value)})"
    if validator in ("minimum", "maximum"):
        return f"{instance!r} is out of range ({validator} {error.validator_value})"
    if validator == "minItems":
        return "must list at least one entry"
    return error.message


def _lean(document):
    """The same verdicts, faster: a prefix list of strings only is checked as one string.

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
        lean.append(partner)
    return dict(document, **{PARTNERS: lean})


def structural_problems(router, data):
    """Every schema violation of one router's inventory variables."""
    document = _lean({key: data[key] for key in INVENTORY_KEYS if key in data})
    problems = []
    for error in _validator().iter_errors(document):
        location, field = where(router, document, error.absolute_path)
        problems.append(Problem(location, field + _message(error)))
    return problems
