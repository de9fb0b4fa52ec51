#!/usr/bin/env python3
"""Write docs/performance.md from the tables the benchmarks wrote to docs/results/.

The prose (method, targets, reading) lives here; every figure comes from a
results file written by a benchmark run (`make bench` runs them all, then this).
A benchmark without results is listed as not measured.
"""

import platform
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = REPOSITORY / "docs" / "results"
OUTPUT = REPOSITORY / "docs" / "performance.md"

SECTIONS = [
    (
        "Plan engine",
        "plan_scale",
        "bench/plan_scale.py",
        """\
Time and peak memory (tracemalloc) to validate and plan one router whose
partners hold 1k, 10k and 100k prefixes (IPv4 /24 and /32, a tenth IPv6),
against the least any planner must do with the same YAML: load it and run
netaddr's `cidr_merge` over the prefixes. **Target: at most 2× at 100k.**

At 1k the fixed cost dominates (JSON Schema validation of the document, the
plan's rules, routes and nftables structure); at scale the cost is parsing
each prefix once, one O(n log n) overlap sweep that also checks the router's
own networks, and the aggregation. The schema pass checks a prefix list that
holds only strings as one string: the same verdicts, since the per-item schema
can only reject non-strings.

**Shared planning.** Routers usually read one partner file. Planning used to cost the same per
router whether or not they shared it: 20 routers sharing 20,000 prefixes took
about ten times one router (`bin/symroute plan --format json`: 12.4 s against
1.3 s on this machine). Now the per-prefix work is done once per distinct
partner list and link shape, and each router adds only its own links,
networks and rules. The same inventory, run by hand through `bin/symroute plan
--format json`: 20 routers in 1.7 s (one router 1.3 s); `--base` with a
changed partner file, 20 routers in 4.2 s (31.4 s before).

`bench/plan_scale.py` measures it on an Ansible inventory directory
(`group_vars/all/partners.yml` shared, `host_vars/` per router with its own link
addresses, `hosts.yml`) through the CLI in-process (loader, validation,
planning, digest, JSON output to /dev/null), with and without `--base`, against
one router with the same partner file and the same command, interleaved.
**Targets: 20 routers sharing 20,000 prefixes ≤ 1.5× one router; 100 routers
sharing 100,000 ≤ 2×; the same for `--base`.**

What is shared, and why it is exact:

- The partner checks (parsing and refusing every prefix, failover orders,
  health checks, the partner-against-partner overlap sweep) depend on the
  partner list as written and on the router's links' names and IPv6, in order
  (`partner_validation.link_shape`), and on nothing else. Their outcome is
  recorded once per (partner list, link shape) with the problems and warnings
  by item, and each router replays them under its own name, so every message
  is the one the router gets alone. The router's own networks (LAN,
  management, links) are checked against the partners through an index of the
  swept prefixes; if any of them touches a partner prefix (an error), that
  router takes the whole one-sweep check, as alone.
- The schema check of the partner list and its data-only walk (no Jinja, no
  vault) depend on the list only (the schema has no rule across variables).
- The plan's per-prefix views (each partner's prefixes as sorted text, the
  verify probe per family, each nftables set's `cidr_merge`) depend on the
  validated partners only; routers that share them share the lists in their
  plans (read-only data; nothing in symroute changes a plan once made).
- The key of a partner list is an exact canonical form of the data (types,
  order, `-0.0` against `0.0` told apart); a value of any other type (Ansible's
  tagged strings, a vault value) has no key and is checked for its router
  alone. The memo lives in one command (`shared_work.SharedWork`): `plan
  --base` uses one for the head and the base, so partner lists equal in both
  are checked once. Nothing is kept across processes or in files.
- The loader copies a value Ansible hands to many routers (the group's
  partner list) once, so the routers hold the same list; the digest and the
  JSON output write each shared list's text once (`json_text.py`: the same
  bytes as `json.dumps`, streamed, never the whole fleet's text at once).
- `tests/unit/test_shared_planning.py` plans a fleet of six routers (two
  partner files, five link shapes, IPv6 on some links only, failover_links,
  fail-closed partners) together and each router alone in another process
  with another hash seed, with and without `--base`, and compares the bytes;
  invalid shared partner data gives every router its problem, word for word;
  twenty routers check each (partner list, link shape) once.

**The pull-request check** (`plan --base`) plans the base too. It used to
cost almost a second plan (100,000 prefixes, one router, the partner file
changed: 8.6 s against 4.1 s for the plan alone on this machine; 10.2-10.8 s
on a slower one, above the 10 s target). Now the base reuses the head's work
on whatever it shares with it, and the loader parses less (issue #27):

- A partner file is parsed once: Ansible's loader is handed the data the
  scan read (the same YAML, so the same data; a file Ansible would read as
  JSON is left to it), and the partner list's digest is still checked
  against every router's value. A base file equal to the head's, byte for
  byte, is not parsed again.
- Each partner's prefix verdicts are kept per distinct (prefix list, allow_
  flags, link name and IPv6), so equal partners share one validated prefix
  tuple; the sweep's intervals and the plan's views (texts, probes, each
  set's aggregate) are kept by the identity of those tuples
  (`shared_work.of_objects`). The base redoes only what involves the
  partners the pull request changed, plus the global sort and sweep.
- The strict YAML reader takes a scalar holding a `/` as a string without
  trying YAML's implicit types (none can hold one), a list of plain strings
  as written, and walks aliases only when the text holds a `*`.

**Targets: `plan --base` at 100,000 prefixes within 10 s, at most 1.4× the
plan alone** (third table: the same inventory, interleaved). The fleet rows'
ratios to one router rose with this (20 routers, `--base`, one host_vars file
changed: 1.34× before, about 1.5× now, 1.44× to 1.56× in three runs)
although the fleet itself got faster (1.7 s before, 0.9 s now): one router's
command is about twice as fast, while each further router's own part (its
plan, review, JSON and digest, a few milliseconds) is unchanged.

The first table is one router; the second is the fleet; the third is the
pull-request check of one router (all written by the benchmark to the
results file).""",
    ),
    (
        "nftables load",
        "nft_load",
        "bench/nft_load.py",
        """\
`nft -f` of symroute's rendered table (the role's own template over a real
plan) in a fresh network namespace: the first load, and the replacing reload of
every later run (create, delete and define the table in one transaction).
Baseline: the same table with one prefix. **Target: 100,000 elements in one
transaction under 2 s.** The number of `ip rule`s does not depend on the
prefixes, so the routing part of an apply costs the same at any partner count.""",
    ),
    (
        "Data plane",
        "dataplane",
        "bench/dataplane.py",
        """\
Sender, router and receiver namespaces of the benchmark's own; the router
forwards to the address of the last partner prefix (the worst case for a
list). `stateless`: no policy, no firewall; `stateful`: no policy, one
`ct state` rule (conntrack active, as on every stateful edge); `stateful-snat`:
the same plus SNAT to the link's address, the per-packet work the fix itself
requires (rewriting each packet's source), as a third baseline; `symroute`:
the rendered table, rules and sysctls exactly as the roles install them;
`ip-rules`: the hand-written fix, one `ip rule to <prefix> lookup <table>` per
prefix. Packets per second from iperf3 (UDP, 64-byte payloads, unthrottled
sender pinned to CPU 0, receiver to CPU 1, so the scheduler does not move
them between rounds), round trip from a bounded flood ping; rounds interleaved, every ratio
taken against the baselines of the same round. **Target: symroute at 100,000
prefixes at least 0.9× the stateful baseline.** `ip-rules` are installed by
`bench/rules_netlink.py`: the same rules `ip rule add` makes, sent without
its duplicate check (with it, the kernel compares each new rule with the
whole list, and 100,000 insertions take many minutes; without it, about 4 s),
with priorities rising with the prefixes so the destination's rule is the
last one walked. With veth pairs the router's
forwarding runs in the sender's softirq context, so the sender CPU column is
the saturated resource; a lower packet rate at the same sender CPU is router
work. symroute's per-packet work on an established connection is the mark
restore (one conntrack-mark map lookup), a handful of `ip rule`s whose number
does not grow with the prefixes, and the SNAT that the fix requires; the
`stateful-snat` row shows what the SNAT alone costs against `stateful`.
symroute cannot drop the SNAT, so against the NAT-less `stateful` baseline it
stays about that much below 1.0 (and, at 100,000 prefixes, below the 0.9×
target); against `stateful-snat`, the mark restore and the rules cost a few
per cent or less, at every prefix count.""",
    ),
    (
        "Failover",
        "failover",
        "bench/failover.py",
        """\
In the incident lab, converged: a request stream from the app to the partner
API (one request every 5 ms, each answered within 250 ms or counted lost),
and link A failing a second into it, ten trials of each kind, interleaved.
The outage is the time between the last request answered by link A and the
first answered by the link the partner moves to. `blackhole`: provider A's
network drops everything while wana keeps its carrier; the link monitor
notices after `down_after` (3) missed probe rounds of `interval_ms` (250)
with a `timeout_ms` (150) budget: the third missed round ends 0.65-0.90 s
after the failure (the failure falls anywhere in a round), then the link
leaves service in one netlink message (its interface's group) and its
conntrack entries are deleted. `carrier loss`: the kernel stops using the
link's routes at once (`ignore_routes_with_linkdown`) and the monitor's
netlink watcher takes it out of service within milliseconds. `compound`:
link B is blackholed and out of service first, then link A loses its
carrier; the partner must reach link C (the third link), never B, and any
request answered with B's address fails the trial. **Targets: blackhole at
most 1 s, carrier loss (alone or compound) at most 100 ms, median and
maximum.** Baseline: the stream's own largest gap without failure, so the
ratio says how many request intervals the outage spans.""",
    ),
    (
        "Converge time",
        "converge_time",
        "bench/converge_time.py",
        """\
`ansible-playbook symmetric-routing.yml` against one router container from the
lab image: a converge from scratch and the no-op re-run (which must report
`changed=0`), with 100 and with 10,000 partner prefixes. Baseline: `ansible -m
ping` to the same router, the cost of reaching it at all. **Targets: no-op
≤ 3×, from scratch ≤ 5× the baseline.** The router side runs in one module
call per router (`symroute_converge`: snapshot, sysctls, nftables, the router
package, rules and routes, verification, the monitor's files and service, and
the rollback, each part its steps in `steps/`); the roles only
render the parts on the controller (`set_fact`, no round trip). What is left
is the baseline's own cost (starting ansible-playbook, one podman exec and a
Python start for the module) plus the controller's plan step (the CLI's loader
in a local module, about 1 s) and the converge's work on the router. Before
(ten module calls, one per concern: about 1.1 s each): no-op 8.7-9.9×, from
scratch 9.6-12.5×; the earlier roles (about forty tasks): 16×.

Reading: at 100 prefixes both targets are met. At 10,000 the from-scratch
target is met and the no-op re-run is just above 3× (the baseline itself
varies by about 0.3 s between runs). What grows with the prefixes is on the
controller, not on the router (the converge's own work there, the `seconds`
of its result, is about 0.4 s at 10,000): the plan step reads the partner
file through Ansible's inventory loader and through symroute's strict reader
and plans it (about 1 s), Ansible copies the plan once when it hands each
router its plan and the nftables template renders 10,000 elements (about
0.25 s each). Two costs found on the way are gone: every template lookup
deep-copied all of a host's variables, including the inventory's partner
list (10,000 tagged strings; about 0.25 s per lookup: the apply play shadows
the list, which it does not need, since the roles render from the plan), and
validating each role's entry point templated the whole plan (0.2 s per role;
the router checks each slice against the plan contract instead).""",
    ),
    (
        "Fleet rollout",
        "fleet_scale",
        "bench/fleet_scale.py",
        """\
`ansible-playbook symmetric-routing.yml` as shipped (serial `[1, 25%]`,
`max_fail_percentage: 0`, ansible.cfg's 10 forks) over 1, 4, 8 and 16 fresh
router containers sharing the lab's partner list, from scratch and as the
no-op re-run (which must report `changed=0` on every router). Baseline:
`ansible -m ping` over the same routers in the same run. Controller memory is
the peak of the summed resident sizes of ansible-playbook and everything under
it (forks and their podman commands), sampled every 0.2 s.

Reading: the rollout is batched, so its time grows with the routers, not with
the ping (which reaches all routers at once, 10 at a time); with 4 or more
routers a batch of 1 and then batches of a quarter run one after the other.
Within a batch the routers converge in parallel, and on this 2-CPU controller
that parallelism is bound by the CPUs (the per-task work on the controller,
the podman commands, and one module run per router: the converge is one call,
section "Converge time"), which is why each router after the first still adds
the increment computed under the table. Against a router reached by SSH with
pipelining (ansible.cfg enables it) each module run is cheaper; the
containers' figures are an upper bound.

Planning 1,000 routers from these figures (the paragraph under the table
extrapolates them): with the default serial a rollout is 5 batches (1, 250,
250, 250, 249); the time is CPU-bound on the controller, about the per-router
increment times the routers divided by the CPUs' share, so a controller with
more CPUs and `forks` raised to match (about 4 forks per CPU) shortens it
nearly in proportion, until one router's own run (the 1-router no-op in the
table) bounds each wave. Memory grows with the active forks, not
with the fleet: size the controller for `forks` × the per-fork figure. Plan
step: shared planning keeps 100 routers sharing one partner list within 2× of
one router (section "Plan engine"), so planning stays seconds at 1,000. For a
fleet that size, a canary progression such as `-e '{"symroute_serial": [1, 10,
"10%", "25%"]}'` keeps the first failures small; `max_fail_percentage: 0`
still stops the rollout at the first failed router (tested by
`molecule/fleet`).""",
    ),
    (
        "Dynamic link address change",
        "address_change",
        "bench/address_change.py",
        """An LTE-style reconnect of a dynamic link in the dynamic lab (`tests/dynamiclab.py`:
dnsmasq's DHCP on the provider side, isc-dhcp-client's dhclient on the router):
the router releases its lease and leases again, the provider hands it another
address. Measured inside the router from the moment the new address is on the
interface: until link C's `from` rule and table use it (the monitor's repair,
50 ms after the first address or route notification), and until a new
connection from the LAN host to the partner pinned to link C is answered from
the new address. **Target: at most 1 s.** The link is not taken out of service
between the two leases (no probe can be sent without an address, and such a
round counts neither way), so the first connection only waits for the table.
Baseline: one connection to the partner with the address unchanged.""",
    ),
    (
        "HA pair switchover",
        "ha_switchover",
        "bench/ha_switchover.py",
        """\
In the HA lab (`tests/halab.py`: edge-1 and edge-2 converged by
`symmetric-routing.yml` from `inventories/ha-lab`, keepalived VRRPv3 with
100 ms advertisements and nopreempt, conntrackd FTFW over sync0), a TCP stream
from the LAN client to the partner pinned to wan_a (a number every 10 ms,
echoed back). About 2.5 s into each trial the master fails, in one of two ways,
ten trials each:

- **off every segment**: its four switch ports go down at once, as a router
  losing power does; they come back after the trial and the router returns as
  the backup;
- **`podman kill`** of its container; after the trial the router comes back as
  after a reboot onto a fresh disk (`halab.restore`: a new container, wired,
  converged by `symmetric-routing.yml -l edge-N`) and returns as the backup.

Either way the next trial switches the other way. The switchover is the time
between the stream's last packet leaving the old master on wan_a and its first
leaving the new one (tcpdump on both routers' wan_a switch ports). Every trial
must also keep the stream whole (every number echoed, in order, no error), with
one connection at the partner from the shared address 198.51.100.4 and no RST,
or the run fails. **Target: at most 1 s, median and maximum.** Baseline, same
trials: the largest gap between two packets of the stream leaving the master
before the failure (the stream's own resolution on this shared machine). For
comparison, VRRP's master-down interval (RFC 5798: 3 advertisements plus the
skew, (256 - priority) / 256 of one) is 341 ms for edge-1 (priority 150) and
361 ms for edge-2 (priority 100).""",
        # The reading of the recorded run (its figures): rewrite it when a new run is recorded.
        """\
Both failures meet the target with room: the maximum is 432 ms off every
segment and 486 ms killed, against 1 s. Off every segment, the switchover is
the master-down interval plus about 75 ms (the stream's retransmission meeting
the new master after its gratuitous ARPs), steady over the ten trials (424 to
432 ms; the two runs before this one: median 426, max 430 and 432). A kill
varies more (238 to 486 ms in these ten trials; the single kill of earlier
runs gave 490 and 246 ms): a killed container's network namespace outlives its
processes for a moment, so its kernel may forward the stream a little after
keepalived has stopped advertising, and the last packet "via the old master"
comes later than the kill. The whole run (lab start, twenty trials, ten
restores by the playbook, lab removal) took 6 min 9 s.

`unsynced drops` counts the packets the `ha_unsynced` chain dropped on the new
master (docs/design.md, "The switchover race"). Off every segment none: the
partner only answers the client, so the client's retransmission reached the
new master first and the commit was done before the partner's answer arrived.
One kill trial (the 238 ms one) dropped one packet there: the partner's
segment arrived between the addresses coming up and conntrackd's commit, was
dropped instead of answered with a RST, and its retransmission continued the
stream, which stayed whole. The chain itself is proven with a bare mid-stream
segment in tests/ha/test_ha_pair.py (dropped and counted; with the chain
emptied, the same segment draws a RST).""",
    ),
]


def machine():
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip() or "?"
    return (
        f"{platform.system()} {platform.release()}, {cpus} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    )


def main():
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/record.py`) from the tables each benchmark wrote",
        "to `docs/results/`. Timings on these shared machines are noisy, so every figure is",
        "also a ratio to a baseline measured in the same run, interleaved with it. `make test`",
        "runs each benchmark in a quick smoke mode so they cannot rot; no test asserts speed.",
        "",
        f"Machine of this record: {machine()}.",
        "",
    ]
    for title, name, script, prose, *reading in SECTIONS:
        lines += [f"## {title}: `{script}`", "", prose.rstrip("\n"), ""]
        table = RESULTS / f"{name}.md"
        if table.exists():
            lines += [table.read_text().rstrip(), ""]
            if (RESULTS / f"{name}.png").exists():
                lines += [f"![{title}](results/{name}.png)", ""]
            lines += [text.rstrip("\n") + "\n" for text in reading]
        else:
            lines += ["Not measured yet.", ""]
    OUTPUT.write_text("\n".join(lines))
    print(f"wrote {OUTPUT.relative_to(REPOSITORY)}")


if __name__ == "__main__":
    main()
