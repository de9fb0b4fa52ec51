"""An HA pair's metrics (publish.py writes them after the others), from the state file's ``ha`` section.

  symroute_ha_master          1 while keepalived last recorded this router as the pair's master
  symroute_ha_state           1 for the VRRP state keepalived last recorded (master, backup, fault, stopped)
  symroute_ha_yield           1 while this router yields the master (every tracked link out, or a pair drill)
  symroute_ha_drill_active    1 while a pair drill is in force here
  symroute_ha_peer_reachable  1 while the peer answers over the sync link; 0: conntrackd's replication has
                              stopped (sync loss: a switchover would lose the connections; with two masters,
                              a split brain)

No sample for a router alone (no ``ha``); none for a value the report does not have in the monitor's shape.
"""

STATES = ("master", "backup", "fault", "stopped")

METRICS = (
    ("symroute_ha_master", "gauge", "1 while keepalived last recorded this router as the HA pair's master."),
    ("symroute_ha_state", "gauge", "1 for the VRRP state keepalived last recorded here (label state)."),
    ("symroute_ha_yield", "gauge", "1 while this router yields the master (tracked links out, or a pair drill)."),
    ("symroute_ha_drill_active", "gauge", "1 while a pair drill makes this router yield the master."),
    (
        "symroute_ha_peer_reachable",
        "gauge",
        "1 while the peer answers over the sync link; 0: conntrackd's replication has stopped.",
    ),
)


def samples(ha):
    """``[(metric, labels, value)]`` of the ``ha`` section (labels: extra label names and values beyond the
    router's)."""
    if not isinstance(ha, dict):
        return []
    out = []
    # The pair's name on every sample: alerts sum per pair (two masters, none).
    pair = {"pair": ha["pair"]} if isinstance(ha.get("pair"), str) else {}
    state = ha.get("vrrp_state")
    if state in STATES:
        out.append(("symroute_ha_master", dict(pair), int(state == "master")))
        out += [("symroute_ha_state", dict(pair, state=name), int(state == name)) for name in STATES]
    if isinstance(ha.get("yield"), bool):
        out.append(("symroute_ha_yield", dict(pair), int(ha["yield"])))
        out.append(("symroute_ha_drill_active", dict(pair), int(isinstance(ha.get("drill"), dict))))
    sync = ha.get("sync")
    sync = sync if isinstance(sync, dict) else {}
    if isinstance(sync.get("peer_reachable"), bool):
        labels = dict(pair, peer=sync["peer"]) if isinstance(sync.get("peer"), str) else dict(pair)
        out.append(("symroute_ha_peer_reachable", labels, int(sync["peer_reachable"])))
    return out
