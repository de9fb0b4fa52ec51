#!/usr/bin/python
"""Start or end a failover drill on the router (the link monitor carries it out and ends it at its deadline):
one link out of service, or on a router of an HA pair the master handed to the peer."""

DOCUMENTATION = r"""
module: symroute_drill
short_description: Take one link out of service, or hand an HA pair's master over, for a failover drill
description:
  - O(state=started) asks the link monitor to take O(link) out of service exactly as for a real failure
    (its interface leaves service, its connections are deleted) until O(seconds) have passed. The
    deadline is kept on the router by the monitor itself, so the link returns to service at the deadline
    even if the controller disappears in the middle of the drill.
  - Refused when the monitor is not running, when another link is already out of service or down (a
    drill would then test a double failure), when a drill is running, or for a router's only link.
  - Waits until the monitor's state file shows the link out of service (O(state=started)) or back in
    service (O(state=stopped)), at most O(wait_s) seconds, and returns that state. O(state=stopped)
    ends only a drill of O(link).
  - With O(pair=true) (a router of an HA pair), O(state=started) asks the monitor to yield the master until
    the deadline (it writes 1 to keepalived's yield file, the sync group goes to FAULT and the peer takes the
    master, as when every pinned link fails); refused unless this router is the pair's master, does not
    yield, has every link in service and hears the peer over the sync link, with no drill running. It waits
    until the router is in FAULT. O(state=stopped) ends it and waits until the router is back in the pair
    (the backup, or the master when the pair preempts). O(state=checked) changes nothing; it waits until
    this router is a healthy O(role) of the pair (the peer's check before and during a drill) and, for the
    master, holds every address of O(addresses).
  - In check mode, says whether the drill would start or end, and changes nothing.
options:
  state:
    description: C(started) begins the drill, C(stopped) ends it before its deadline, C(checked) (O(pair) only)
      only checks this router's part in the pair.
    type: str
    choices: [started, stopped, checked]
    required: true
  link:
    description: The link to take out of service (a link name of the router's plan); required unless O(pair).
    type: str
  pair:
    description: A pair drill (the router hands the master to its peer) instead of a link's.
    type: bool
    default: false
  role:
    description: For O(state=checked), the part this router must have in the pair.
    type: str
    choices: [master, backup]
    default: backup
  addresses:
    description: For O(state=checked) and O(role=master), the shared addresses (C(address/length)) it must hold.
    type: list
    elements: str
    default: []
  router:
    description: The router's name in messages (the inventory hostname, for a task delegated to the peer).
    type: str
    default: this router
  seconds:
    description: How long the drill lasts at most (5 to 3600; a pair drill 5 to 300).
    type: int
    default: 60
  wait_s:
    description: How long to wait for the monitor to carry the request out.
    type: int
    default: 15
  drill_file:
    description: The request file the monitor reads.
    type: path
    default: /run/symroute/drill.json
  monitor_state_file:
    description: The link monitor's state file.
    type: path
    default: /run/symroute/monitor.json
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
- name: Take wan_a out of service for at most 60 s
  symroute_drill:
    state: started
    link: wan_a
    seconds: 60

- name: Hand the pair's master to the peer for at most 60 s (run on the master)
  symroute_drill:
    state: started
    pair: true
    seconds: 60
"""

RETURN = r"""
until:
  description: The drill's deadline (epoch seconds) on the router.
  returned: state=started and not check mode
  type: float
monitor:
  description: The monitor's state file once it carried the request out.
  returned: not check mode
  type: dict
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.symroute_router.command import Runner
from ansible.module_utils.symroute_router.monitor import drill, pair_drill


def _monitor_state(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _wait(module, path, link, out_of_service):
    deadline = time.monotonic() + module.params["wait_s"]
    while True:
        state = _monitor_state(path)
        entry = (state or {}).get("links", {}).get(link, {})
        done = entry.get("gated") is out_of_service and (state or {}).get("kernel_holds_decision")
        if out_of_service:
            done = done and (state.get("drill") or {}).get("link") == link
        else:
            done = done and entry.get("up") and not state.get("drill")
        if done:
            return state
        if time.monotonic() >= deadline:
            module.fail_json(
                msg=f"symroute_drill: the link monitor did not take {link} "
                f"{'out of' if out_of_service else 'back into'} service within "
                f"{module.params['wait_s']} s",
                monitor=state,
            )
        time.sleep(0.2)


def _held(addresses):
    """The addresses of ``addresses`` this router does not hold (None when ``ip`` cannot say)."""
    if not addresses:
        return []
    result = Runner(timeout=10).run(["ip", "-json", "addr", "show"])
    try:
        return pair_drill.missing_addresses(addresses, json.loads(result.stdout)) if result.rc == 0 else None
    except ValueError:
        return None


def _wait_pair(module, path, done, what):
    deadline = time.monotonic() + module.params["wait_s"]
    while True:
        state = _monitor_state(path)
        if done(state):
            return state
        if time.monotonic() >= deadline:
            what = what() if callable(what) else what
            module.fail_json(msg=f"symroute_drill: {what} within {module.params['wait_s']} s", monitor=state)
        time.sleep(0.2)


def _pair(module, path):
    """A pair drill: start (on the master), end, or check this router's part (the peer's, around a drill)."""
    params, now = module.params, time.time()
    if params["state"] == "checked":
        role, wanted, last = params["role"], params["addresses"], {"problem": None}

        def healthy(state):
            last["problem"] = pair_drill.health(state, time.time(), role)
            if last["problem"] is None and role == "master":
                missing = _held(wanted)
                if missing is None:
                    last["problem"] = "ip cannot list its addresses"
                elif missing:
                    last["problem"] = f"it does not hold {', '.join(missing)}"
            return last["problem"] is None

        state = _wait_pair(
            module, path, healthy, lambda: f"{params['router']} did not become a healthy {role} ({last['problem']})"
        )
        module.exit_json(changed=False, monitor=state)
    if params["state"] == "started":
        problem = pair_drill.refusal(params["seconds"], _monitor_state(path), now)
        if problem is not None:
            module.fail_json(msg=f"symroute_drill: no pair drill: {problem}")
        if module.check_mode:
            module.exit_json(changed=True)
        until = drill.start(params["drill_file"], None, params["seconds"], now)
        try:
            state = _wait_pair(module, path, pair_drill.in_force, "the router did not yield the master (FAULT)")
        except SystemExit:  # fail_json: a drill that did not start is ended, not left to its deadline
            drill.stop(params["drill_file"])
            raise
        module.exit_json(changed=True, until=until, monitor=state)
    requested = drill.read_pair(params["drill_file"], now) is not None
    if module.check_mode:
        module.exit_json(changed=requested)
    changed = requested and drill.stop(params["drill_file"])  # never a link's drill
    state = _wait_pair(module, path, pair_drill.ended, "the router did not come back into the pair")
    module.exit_json(changed=changed, monitor=state)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["started", "stopped", "checked"], "required": True},
            "link": {"type": "str"},
            "pair": {"type": "bool", "default": False},
            "role": {"type": "str", "choices": ["master", "backup"], "default": "backup"},
            "addresses": {"type": "list", "elements": "str", "default": []},
            "router": {"type": "str", "default": "this router"},
            "seconds": {"type": "int", "default": 60},
            "wait_s": {"type": "int", "default": 15},
            "drill_file": {"type": "path", "default": drill.DRILL_FILE},
            "monitor_state_file": {"type": "path", "default": "/run/symroute/monitor.json"},
        },
        supports_check_mode=True,
    )
    params = module.params
    state_path, link = params["monitor_state_file"], params["link"]
    if params["pair"] == bool(link):
        module.fail_json(msg="symroute_drill: give either link (a link drill) or pair=true (a pair drill)")
    if params["pair"]:
        _pair(module, state_path)
    if params["state"] == "checked":
        module.fail_json(msg="symroute_drill: state=checked is for a pair drill (pair=true)")
    if params["state"] == "started":
        problem = drill.refusal(link, params["seconds"], _monitor_state(state_path), time.time())
        if problem is not None:
            module.fail_json(msg=f"symroute_drill: no drill of {link}: {problem}")
        if module.check_mode:
            module.exit_json(changed=True)
        until = drill.start(params["drill_file"], link, params["seconds"], time.time())
        module.exit_json(changed=True, until=until, monitor=_wait(module, state_path, link, True))
    requested, _until = drill.read(params["drill_file"], {link: None}, time.time())
    if module.check_mode:
        module.exit_json(changed=requested == link)
    changed = requested == link and drill.stop(params["drill_file"])  # never another link's drill
    module.exit_json(changed=changed, monitor=_wait(module, state_path, link, False))


if __name__ == "__main__":
    main()
