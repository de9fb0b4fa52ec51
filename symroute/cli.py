"""bin/symroute: plan and explain, for people and for pull requests; doctor and status on a router.

Exit codes: 0 valid, 1 invalid inventory, 2 usage error.
"""

import argparse
import json
import runpy
import sys
import tempfile
from collections.abc import Sequence
from typing import Optional

from . import json_text, name_lookup, review_markdown
from .ansible_inventory import ROUTER_GROUP, load_inventory
from .errors import InventoryError, Problem
from .explain import explain_address, explain_name
from .gitref import GitRefError, inventory_at_ref
from .ha_views import explain_pair_text
from .locate import locate
from .pipeline import plan_digest, plan_routers
from .review import compare, partners_by_router
from .review_contract import contract_changes, manifest
from .shapes import Document
from .shared_work import SharedWork

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
REVIEW_SCHEMA_VERSION = 1


class UsageError(Exception):
    """A command line the tool cannot act on."""


def _parser():
    parser = argparse.ArgumentParser(prog="symroute", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="validate the inventory and print each router's plan")
    plan.add_argument(
        "--inventory",
        required=True,
        action="append",
        help="inventory directory or file (repeat for several sources, as ansible-playbook -i)",
    )
    plan.add_argument("--base", help="git ref to compare with (e.g. origin/main)")
    plan.add_argument("--format", choices=("markdown", "json"), default="markdown")
    plan.add_argument("--group", default=ROUTER_GROUP, help=f"inventory group of the routers ({ROUTER_GROUP})")
    explain = commands.add_parser("explain", help="say which link addresses take on one router")
    explain.add_argument("--inventory", required=True)
    explain.add_argument("--host", help="the router (default: the inventory's only router)")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("--group", default=ROUTER_GROUP)
    explain.add_argument(
        "--down",
        action="append",
        default=[],
        metavar="LINK",
        help="a link out of service (repeat for several); the answer walks the plan's rules",
    )
    explain.add_argument("addresses", nargs="+", metavar="ADDRESS")
    for name, (_, text) in ROUTER_COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False).add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


# Run on the router, by the router package (standard library only; installed there by the converge):
# `symroute doctor|status ARGS` hands ARGS to it (`symroute doctor --help` is the doctor's own help).
ROUTER_COMMANDS = {
    "doctor": ("symroute_router.doctor", "on a router: read-only triage of asymmetric routing (--help for its own)"),
    "status": (
        "symroute_router.status",
        "on a router: the live view of links, partners and failovers "
        "(the monitor's state; also installed as symroute-status)",
    ),
}


def _router_command(name, arguments):
    """Run a router package command in this process, as `python3 -m` would."""
    module = ROUTER_COMMANDS[name][0]
    try:
        import symroute_router  # noqa: F401  (the router package: module_utils/ in a checkout)
    except ImportError:
        raise UsageError(
            f"{name} runs on a router: bin/symroute {name} from a checkout, or "
            f"symroute-status / python3 -m {module} where symroute converged"
        ) from None
    saved = sys.argv
    sys.argv = [f"symroute {name}", *arguments]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv = saved
    return EXIT_VALID


def no_routers_message(group):
    """What to do when the inventory has no router: symroute plans the hosts of one group only."""
    return (
        f"no hosts in group '{group}': symroute plans only the hosts of that group; list your routers in "
        f"the inventory's hosts.yml as `{group}:` / `  hosts:` / `    gw1:` (as in "
        "inventories/example/two-links/hosts.yml, docs/getting-started.md), or name your group with --group"
    )


def _plans(inventory, group, shared=None):
    """(plans, manifest) of an inventory (raises InventoryError); ``shared``: a SharedWork for several inventories."""
    loaded = load_inventory(inventory, group=group, parsed=shared.parsed_files if shared else None)
    try:
        return plan_routers(loaded.routers, shared), manifest(loaded)
    except InventoryError as error:
        raise InventoryError(locate(error.problems, loaded)) from None


def _base_plans(inventory, ref, group, shared=None):
    """(plans, manifest, notes) of the inventory at ``ref``; an invalid base compares as empty.

    ``shared``: the SharedWork of the head's planning, so partner lists equal in both are checked once.
    """
    with tempfile.TemporaryDirectory(prefix="symroute-base-") as scratch:
        if len(inventory) != 1:
            raise UsageError("--base compares one inventory source at a time")
        try:
            path = inventory_at_ref(inventory[0], ref, scratch)
        except GitRefError as error:
            raise UsageError(f"--base {ref}: {error}") from None
        if path is None:
            return {}, None, []
        try:
            plans, files = _plans(path, group, shared)
            return plans, files, []
        except InventoryError as error:
            return (
                {},
                None,
                [f"the base inventory at {ref} is itself invalid; compared with an empty one"]
                + [str(p) for p in error.problems],
            )


def review_document(args: argparse.Namespace) -> Document:
    """The review document of ``symroute plan`` (what --format json prints) for parsed arguments."""
    shown = args.inventory[0] if len(args.inventory) == 1 else ", ".join(args.inventory)
    result = {
        "symroute_review_version": REVIEW_SCHEMA_VERSION,
        "inventory": shown,
        "valid": True,
        "problems": [],
        "warnings": [],
        "routers": {},
    }
    shared = SharedWork()  # one for the head and the base: their equal partner lists are checked once
    try:
        plans, files = _plans(args.inventory, args.group, shared)
    except InventoryError as error:
        result.update(valid=False, problems=[str(p) for p in error.problems])
        plans = None
    if plans is not None:
        if not plans:
            result.update(valid=False, problems=[str(Problem(shown, no_routers_message(args.group)))])
        result["routers"] = plans
        result["digest"] = plan_digest(plans, files)
        result["warnings"] = [w for plan in plans.values() for w in plan["warnings"]]
        if args.base:
            before, before_files, notes = _base_plans(args.inventory, args.base, args.group, shared)
            changes = compare(before, plans)
            result.update(
                base=args.base,
                base_notes=notes,
                changes=changes,
                partners_changed=partners_by_router(changes),
                outside_contract=contract_changes(before_files, files),
            )
    return result


def _plan_command(args):
    result = review_document(args)
    if args.format == "json":
        json_text.write(result, sys.stdout, indent=2)  # the text of json.dumps(indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(review_markdown.markdown(result))
    return EXIT_VALID if result["valid"] else EXIT_INVALID


def _explain_command(args):
    try:
        plans, _ = _plans(args.inventory, args.group)
    except InventoryError as error:
        sys.stderr.write(error.describe() + "\n")
        return EXIT_INVALID
    if args.host is None:
        if len(plans) != 1:
            raise UsageError(f"--host is needed: the inventory has {len(plans)} routers ({', '.join(plans) or 'none'})")
        args.host = next(iter(plans))
    if args.host not in plans:
        raise UsageError(f"--host {args.host}: not a router of the inventory (routers: {', '.join(plans) or 'none'})")
    plan = plans[args.host]
    links = [link["name"] for link in plan["links"]]
    unknown = sorted(set(args.down) - set(links))
    if unknown:
        raise UsageError(f"--down {', '.join(unknown)}: not a link of {args.host} (links: {', '.join(links)})")
    answers = [_explain_one(plan, address, args.down) for address in args.addresses]
    if args.format == "json":
        sys.stdout.write(json.dumps(answers, indent=2, sort_keys=True) + "\n")
    else:
        _explain_text(answers)
    return EXIT_INVALID if any("error" in answer for answer in answers) else EXIT_VALID


def _explain_one(plan, text, down):
    """An address walked; a name (a partner's or any) resolved on the controller and each answer walked."""
    answer = explain_address(plan, text, down)
    if ("error" not in answer and "domain" not in answer) or not name_lookup.is_name(text):
        return answer
    try:
        addresses, how = name_lookup.resolve(text)
    except name_lookup.NameLookupError as error:
        if "domain" in answer:  # a partner's name: what the plan says, and why no answer is walked
            return dict(answer, resolve_error=str(error))
        return {"address": text, "error": f"not a valid IP address, nor a name the controller resolves ({error})"}
    return explain_name(plan, text, addresses, how, down)


def _explain_text(answers):
    pairs = [answer["ha"] for answer in answers if "ha" in answer]
    if pairs:  # the router's HA pair, once (the same for every answer)
        sys.stdout.write(explain_pair_text(pairs[0]))
    for answer in answers:
        if "error" in answer:
            sys.stdout.write(f"{answer['address']}: {answer['error']}\n")
            continue
        if "domain" in answer:
            whose = f"partner {answer['partner']}, name" if answer["partner"] else "a name"
            sys.stdout.write(f"{answer['domain']} ({whose}): {answer['path']}\n")
            if "resolve_error" in answer:
                sys.stdout.write(f"  not resolved on the controller: {answer['resolve_error']}\n")
            if "resolved_with" in answer:
                sys.stdout.write(f"  resolved with {answer['resolved_with']}: {', '.join(answer['addresses'])}\n")
            _explain_text([dict(walked, nested=True) for walked in answer.get("answers", [])])
            continue
        indent = "  " if answer.get("nested") else ""
        where = f" (partner {answer['partner']}, prefix {answer['prefix']})" if answer["partner"] else ""
        if answer["partner"] and answer["prefix"].startswith("the answers of "):
            where = f" (partner {answer['partner']}, {answer['prefix']}, pinned to {answer['pinned_link']})"
        down = f" with {', '.join(answer['down'])} out of service" if answer["down"] else ""
        sys.stdout.write(f"{indent}{answer['address']}{where}{down}: {answer['path']}\n")
        if answer.get("when_link_fails"):
            sys.stdout.write(f"{indent}  when {answer['pinned_link']} is out of service: {answer['when_link_fails']}\n")
        if answer["down"]:
            sys.stdout.write("".join(f"{indent}  rule {step}\n" for step in answer["rules"]))


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ROUTER_COMMANDS:  # their own options, parsed by the router package
        try:
            return _router_command(argv[0], argv[1:])
        except UsageError as error:
            sys.stderr.write(f"symroute: {error}\n")
            return EXIT_USAGE
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_VALID
    try:
        if args.command == "plan":
            return _plan_command(args)
        return _explain_command(args)
    except UsageError as error:
        sys.stderr.write(f"symroute: {error}\n")
        return EXIT_USAGE
    except InventoryError as error:
        sys.stderr.write(error.describe() + "\n")
        return EXIT_INVALID
