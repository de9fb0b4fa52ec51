"""YAML read as data, with one meaning per file or a problem naming file and line.

Refused, each with its own message:
  - a key given twice in one mapping (YAML would silently keep one of them);
  - a key that is not a string (``1:``, ``~:``, ``true:``, ``? [a]``);
  - aliases that expand a file far beyond its written size (an alias bomb),
    and an alias that contains itself;
  - any tag but YAML's own: ``!vault`` values are kept as an opaque marker
    (symroute never decrypts them; see ``VaultValue``), ``!unsafe`` is a plain
    string, every other tag (``!!python/object`` ...) is an error;
  - files larger than ``MAX_FILE_BYTES`` (inventory_files refuses them unread).
"""

from typing import Any

import yaml

from .errors import Problem

MAX_FILE_BYTES = 64 * 1024 * 1024
# How many nodes aliases may add on top of what is written (100,000 prefixes
# are written out, not aliased, so legitimate files stay far below this).
MAX_ALIAS_EXPANSION = 100_000
_STRING_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlProblem(Exception):
    """A file that is not plain, unambiguous YAML data."""

    def __init__(self, line, message, column=None):
        super().__init__(message)
        self.line, self.message, self.column = line, message, column


class VaultValue(str):
    """An Ansible Vault value, never decrypted: symroute's own variables may not hold one."""


def _line(node):
    return node.start_mark.line + 1 if node is not None and node.start_mark is not None else None


def _column(node):
    return node.start_mark.column + 1 if node is not None and node.start_mark is not None else None


# The C parser when PyYAML has it (100,000 prefixes), the same checks either way.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE_LOADER):  # pylint: disable=too-many-ancestors
    def resolve(self, kind, value, implicit):
        """YAML's own resolution, without trying every implicit type on a scalar that holds a slash.

        None of YAML 1.1's implicit types (null, bool, int, float, timestamp, merge, value) can be written
        with a "/", so such a scalar is a string whichever way it is written; every prefix is one, and
        trying the int, float and timestamp patterns on 100,000 of them was a third of the parse.
        """
        if kind is yaml.ScalarNode and "/" in value and not self.yaml_path_resolvers:
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)

    def construct_sequence(self, node, deep=False):
        """PyYAML's, with a list of plain strings taken as it is written (each item's constructor would return
        its text): a prefix list of 100,000 items without a constructor call per item."""
        if isinstance(node, yaml.SequenceNode) and all(
            type(item) is yaml.ScalarNode and item.tag == _STRING_TAG for item in node.value
        ):
            return [item.value for item in node.value]
        return super().construct_sequence(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STRING_TAG:
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a " + key_node.id
                    raise YamlProblem(
                        _line(key_node), f"mapping key {shown!r} is not a string (quote it)", _column(key_node)
                    )
                if key_node.value in seen:
                    raise YamlProblem(
                        _line(key_node),
                        f"key {key_node.value!r} appears twice in one mapping (first on line {seen[key_node.value]})",
                        _column(key_node),
                    )
                seen[key_node.value] = _line(key_node)
        return super().construct_mapping(node, deep=deep)


def _construct_vault(loader, node):
    return VaultValue(loader.construct_scalar(node))


def _construct_unsafe(loader, node):
    return str(loader.construct_scalar(node))


def _refuse_tag(loader, tag_suffix, node):  # noqa: ARG001 (PyYAML's multi-constructor signature)
    raise YamlProblem(_line(node), f"tag {node.tag!r} is not allowed: the inventory is plain data", _column(node))


_StrictLoader.add_constructor("!vault", _construct_vault)
_StrictLoader.add_constructor("!unsafe", _construct_unsafe)
_StrictLoader.add_multi_constructor("!", _refuse_tag)
_StrictLoader.add_multi_constructor("tag:yaml.org,2002:python/", _refuse_tag)


def _children(node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _check_expansion(root):
    """Count the nodes the document expands to, without expanding it (iteratively, memoized)."""
    written, size, state = set(), {}, {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            state[key] = "done"
            if size[key] - len(written) > MAX_ALIAS_EXPANSION:
                raise YamlProblem(
                    _line(node),
                    f"aliases expand this document beyond {MAX_ALIAS_EXPANSION:,} "
                    "extra nodes (an alias bomb?); write the data out",
                )
            continue
        if state.get(key) == "done":
            continue
        if state.get(key) == "open":
            raise YamlProblem(_line(node), "an alias refers to a node that contains it")
        state[key] = "open"
        written.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def loads(text: str) -> Any:
    """The data of one YAML document (raises YamlProblem)."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if "*" in text:  # an alias is written "*name": without one, nothing expands
            _check_expansion(root)
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlProblem(
            mark.line + 1 if mark else None,
            f"malformed YAML: {error.problem or error}",
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, f"malformed YAML: {error}") from None
    except RecursionError:
        raise YamlProblem(None, "the document is nested too deeply") from None
    finally:
        loader.dispose()


def load_bytes(content: bytes, label: str) -> tuple[Any, list[Problem]]:
    """(data, problems) of a YAML file's bytes, already read; ``label`` names the file in problems."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(label, f"cannot be read: {error}")]
    try:
        return loads(text), []
    except YamlProblem as problem:
        where = f"{label} line {problem.line}" if problem.line else label
        where += f" column {problem.column}" if problem.line and problem.column else ""
        return None, [Problem(where, problem.message)]
