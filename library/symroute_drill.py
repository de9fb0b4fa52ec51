#!/usr/bin/python
"""Start or end a failover drill on the router (the link monitor carries it out and ends it at its deadline)."""

DOCUMENTATION = r"""
module: symroute_drill
short_description: Take one link out of service for a failover drill, with a deadline the router enforces
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
  - In check mode, says whether the drill would start or end, and changes nothing.
options:
  state:
    description: C(started) begins the drill, C(stopped) ends it before its deadline.
    type: str
    choices: [started, stopped]
    required: true
  link:
    description: The link to take out of service (a link name of the router's plan).
    type: str
    required: true
  seconds:
    description: How long the drill lasts at most (5 to 3600).
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
from ansible.module_utils.symroute_router.monitor import drill


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


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["started", "stopped"], "required": True},
            "link": {"type": "str", "required": True},
            "seconds": {"type": "int", "default": 60},
            "wait_s": {"type": "int", "default": 15},
            "drill_file": {"type": "path", "default": drill.DRILL_FILE},
            "monitor_state_file": {"type": "path", "default": "/run/symroute/monitor.json"},
        },
        supports_check_mode=True,
    )
    params = module.params
    state_path, link = params["monitor_state_file"], params["link"]
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
