"""Load routers' variables through Ansible's own inventory loading.

group_vars and host_vars merge exactly as in a playbook run; a YAML error or
an unreadable inventory becomes an ``InventoryError``, never a traceback.
"""

from pathlib import Path

from .errors import InventoryError, Problem
from .inventory import router_variables

ROUTER_GROUP = "symroute_routers"


YAML_SUFFIXES = (".yml", ".yaml", ".json")


def _yaml_problems(inventory):
    """Name each YAML file of the inventory that does not parse, with line and column."""
    import yaml

    root = Path(inventory)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in YAML_SUFFIXES)
    problems = []
    for path in files:
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            position = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            problems.append(Problem(f"{path}{position}", f"malformed YAML: {problem}"))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), f"cannot be read: {error}"))
    return problems


def _ansible_problems(source, error):
    problems = _yaml_problems(source)
    if problems:
        return problems
    text = " ".join(str(getattr(error, "message", error)).split())
    return [Problem(str(source), f"cannot be loaded: {text}")]


def load_routers(inventory, group=ROUTER_GROUP, limit=None):
    """{router name: symroute variables} for every host of ``group``."""
    # Imported here: the plan engine itself never needs Ansible.
    from ansible import constants
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    constants.INVENTORY_UNPARSED_IS_FAILED = True
    loader = DataLoader()
    try:
        manager = InventoryManager(loader=loader, sources=[str(inventory)])
        variable_manager = VariableManager(loader=loader, inventory=manager)
        hosts = manager.get_hosts(pattern=group if limit is None else f"{group}:&{limit}")
        routers = {}
        for host in sorted(hosts, key=lambda h: h.name):
            variables = variable_manager.get_vars(host=host)
            templar = Templar(loader=loader, variables=variables)
            routers[host.name] = router_variables(
                {key: templar.template(value) for key, value in router_variables(variables).items()}
            )
    except AnsibleError as error:
        raise InventoryError(_ansible_problems(inventory, error)) from None
    return routers
