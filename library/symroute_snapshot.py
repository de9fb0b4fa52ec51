#!/usr/bin/python
"""One snapshot of all of symroute's state before a change; restored whole on any failure."""

DOCUMENTATION = r"""
module: symroute_snapshot
short_description: Take, or restore, one snapshot of all of symroute's state on the router
description:
  - C(state=taken) records symroute's files (nftables file, routing state, sysctl.d file, table names,
    monitor configuration and units), the live nftables table, the rules of its priority band, the
    routes of its tables and the values of the sysctls it sets, before anything changes.
  - C(state=restored) puts all of it back (files rewritten or removed, the table reloaded or deleted,
    rules and routes reconciled, sysctl values written back) and says what it restored.
  - >-
    C(state=confirmed) confirms run O(run_id)'s change (confirmed commit, see M(symroute.router.symroute_converge)'s
    C(confirm)): its dead-man on the router is stopped. Run it from a new connection (after
    C(meta: reset_connection)) so that the confirmation proves the management path survived the change.
    Fails when the run was not confirmed in time (its snapshot was restored) or armed no dead-man.
  - In check mode nothing is taken, restored or confirmed, and the result says so.
options:
  state:
    description: C(taken) before a change, C(restored) after a failure, C(confirmed) after a verified change.
    type: str
    choices: [taken, restored, confirmed]
    required: true
  path:
    description: Where the snapshot is kept on the router.
    type: path
    required: true
  run_id:
    description: >-
      With O(state=restored): the run whose snapshot to restore. A snapshot another run took (or none) is
      not restored: the result says nothing was changed, since a run takes its snapshot before any change.
      With O(state=taken): the run the snapshot is named by (else the scope's C(run_id), if any).
    type: str
    default: ""
  scope:
    description: >-
      What to record (state=taken): C(files), C(nft_table), C(priority_band), C(monitor_bands),
      C(tables), C(sysctls). With O(state=restored): C(files) names symroute's files for this run, the only
      ones the restore writes (a snapshot never decides where a restore writes).
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Returns no details on what has changed.
    support: none
author: symroute maintainers (@symroute)
"""

EXAMPLES = r"""
- name: Snapshot symroute's state
  symroute_snapshot:
    state: taken
    path: /var/lib/symroute/snapshot.json
    scope: "{{ symroute_snapshot_scope }}"
"""

RETURN = r"""
margin_s:
  description: With O(state=confirmed), how many seconds were left before the dead-man would have restored.
  returned: state=confirmed
  type: float
restored:
  description: What was restored, one line per part.
  returned: state=restored
  type: list
  elements: str
outcome:
  description: One sentence on the state the restore left (restored, or nothing had changed).
  returned: state=restored
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router import converge_report, deadman, deadman_record, snapshot
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.locking import LOCK_FILE


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["taken", "restored", "confirmed"], "required": True},
            "path": {"type": "path", "required": True},
            "run_id": {"type": "str", "default": ""},
            "scope": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    path, run_id = module.params["path"], module.params["run_id"]
    if module.check_mode:
        module.exit_json(
            changed=False,
            restored=[],
            outcome=converge_report.CHECK_MODE,
            msg="check mode: nothing was taken or restored",
        )
    runner = Runner()
    if module.params["state"] == "confirmed":
        if not run_id:
            module.fail_json(msg="symroute_snapshot: state=confirmed needs the run_id to confirm")
        try:
            record = deadman.confirm(deadman_record.record_path(path), run_id, runner)
        except (deadman.DeadmanError, OSError) as error:
            module.fail_json(msg=f"symroute_snapshot: {error}", record=getattr(error, "record", None))
        module.exit_json(
            changed=True,
            margin_s=record.get("margin_s"),
            msg=f"run {run_id} confirmed ({record.get('margin_s')} s before its dead-man)",
        )
    if module.params["state"] == "taken":
        scope = dict(module.params["scope"], run_id=run_id or module.params["scope"].get("run_id"))
        snapshot.save(path, snapshot.take(runner, snapshot.router_scope(scope)))
        module.exit_json(changed=False, msg=f"symroute's state recorded in {path}")
    try:
        taken = snapshot.load(path) if os.path.exists(path) else None
    except ValueError as error:
        module.fail_json(msg=f"symroute_snapshot: {path} is not a snapshot: {error}", restored=[])
    if run_id and (taken is None or taken.get("run_id") != run_id):
        module.exit_json(
            changed=False,
            restored=[],
            outcome="Nothing was changed (this run took no snapshot).",
            msg=f"no snapshot of run {run_id} at {path}: the run stopped before its snapshot",
        )
    if taken is None:
        module.fail_json(msg=f"symroute_snapshot: no snapshot at {path}: nothing can be restored")
    try:
        owned = snapshot.router_scope(module.params["scope"])["files"] if module.params["scope"].get("files") else None
        restored = snapshot.restore(runner, taken, lock_path=LOCK_FILE, owned_files=owned)
    except snapshot.RestoreError as error:
        module.fail_json(
            msg=f"symroute_snapshot: the restore was incomplete: {error}; restored " + "; ".join(error.restored),
            restored=error.restored,
        )
    module.exit_json(
        changed=bool(restored),
        restored=restored,
        outcome=converge_report.restored(restored),
        msg="restored " + ("; ".join(restored) if restored else "nothing (nothing had changed)"),
    )


if __name__ == "__main__":
    main()
