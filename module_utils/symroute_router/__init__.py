"""symroute's router side: one package, Python standard library only (Python >= 3.9).

Ansible's modules import it as ``ansible.module_utils.symroute_router``; the
router's boot unit runs ``python3 -m symroute_router`` from an installed copy.
Imports inside the package are relative, so both work. One module, one job,
by layer (each layer uses the ones above it, never the ones below):

  Running programs and files
    command        run a program (argument list, never a shell); the only module with subprocess (and monitor/hook)
    files          read, write atomically, remove
    locking        the converge lock and the routing lock

  Kernel reads (what the router holds now)
    iproute        every `ip -json` read: one parser, one failure policy, the package's one `ip route get`
    ipforms        ip's rules and routes in one comparable form, and as text
    linkstate      links' interface, carrier and service group
    interfaces     why a link's routes cannot be installed yet (interface missing or down, address missing)
    learned        dynamic links' addresses and gateways, learned from the kernel
    connected      a partner prefix inside a connected network is refused before any change
    conntrack      `conntrack -L`, parsed
    ha_read        an HA pair's live state: keepalived, conntrackd, VRRP state, sync peer, shared addresses, caches
    nftparse       the statements of an nftables file, for diffs and checks

  The contract (what the controller hands the router, checked before anything is applied)
    contract, contract_read, contract_learned, checking

  Checking the live state against the plan (read-only)
    verify         what the router does with the applied state, checked after a converge

  Applying (each concern: read, diff, apply)
    routing, routing_tables, routing_commands   ip rules of symroute's band, routes of its tables, per link
    nftables       symroute's nftables table: check, load, diff, drift, include
    sysctl         kernel settings under /proc/sys
    snapshot       all of symroute's state before a change, and its restore
    steps/         the converge's steps, one per concern, and the services they need
    converge, converge_confirm, converge_report   the whole converge in one call, its confirmed commit, its words
    deadman, deadman_record, deadman_restore, deadman_process, deadman_services   the confirmed commit: record, restore
    removal        everything symroute installed, removed
    __main__       python3 -m symroute_router apply|diff|expire (the boot unit, the dead-man)

  Reading back for people (never changes anything)
    audit, audit_drift, audit_report   the read-only audit against the plan, its drift findings, and its Markdown
    audit_names                  the audit's findings for partners by DNS name (resolver.json)
    audit_ha, audit_pair         an HA pair's router (its section, findings, cache entries) and the pair's checks
    status, status_view, status_paths, status_names, status_text, status_ha   symroute-status: the live view

  Running on the router
    monitor/       the link monitor (python3 -m symroute_router.monitor)
    doctor/        the incident's triage, with or without symroute (python3 -m symroute_router.doctor)
"""
