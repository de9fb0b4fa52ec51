"""Task names render as written: none holds its own loop variable.

Ansible renders a task's name for the TASK banner before the loop runs, so
``IPv{{ item }}`` shows as ``IPv<< error 1 - 'item' is undefined >>`` in every
run; a loop's cases belong in ``loop_control.label``, shown per item.
"""

import jinja2
import yaml
from jinja2 import nodes

from paths import REPOSITORY

PLAY_SECTIONS = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")


def _yaml_files():
    for pattern in ("*.yml", "playbooks/**/*.yml", "roles/**/*.yml", "molecule/**/*.yml"):
        yield from REPOSITORY.glob(pattern)


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        if "name" in node and "hosts" not in node:
            yield node
        for section in PLAY_SECTIONS:
            yield from _tasks(node.get(section))


def _is_looped(task):
    return "loop" in task or any(key.startswith("with_") for key in task)


def _names_used(template):
    return {name.name for name in jinja2.Environment().parse(template).find_all(nodes.Name)}


def test_the_check_finds_the_loop_variable():
    assert "item" in _names_used("IPv{{ item | join(' ') }}")
    assert "item" not in _names_used("IPv4 and IPv6")


def test_no_task_name_holds_its_loop_variable():
    found, looped = [], 0
    for path in sorted(set(_yaml_files())):
        for task in _tasks(yaml.safe_load(path.read_text())):
            if not _is_looped(task) or not isinstance(task["name"], str):
                continue
            looped += 1
            variable = (task.get("loop_control") or {}).get("loop_var", "item")
            if variable in _names_used(task["name"]):
                found.append(f"{path.relative_to(REPOSITORY)}: {task['name']}")
    assert looped > 10  # the walk reaches the playbooks', roles' and scenarios' looped tasks
    assert found == []
