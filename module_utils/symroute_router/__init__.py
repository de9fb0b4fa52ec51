"""symroute's router side: one package, Python standard library only (Python >= 3.9).

Ansible's modules import it as ``ansible.module_utils.symroute_router``; the
router's boot unit runs ``python3 -m symroute_router`` from an installed copy.
Imports inside the package are relative, so both work. One module, one job:

    command    run a program (argument list, never a shell)
    files      read, write atomically, remove
    contract   the data the controller hands the router, checked (contract.schema.json: the same as a JSON Schema)
    checking   the patterns and the problem collector contract uses
    ipforms    ip's rules and routes in one comparable form, and as text
    routing    ip rules of symroute's band, routes of its tables: read, diff, apply (per link)
    nftparse   the statements of an nftables file, for diffs and checks
    nftables   symroute's nftables table: read, check, load, diff, drift, include
    sysctl     kernel settings under /proc/sys: read, diff, apply
    snapshot   all of symroute's state before a change, and its restore
    verify     read and check what the router does with the applied state
    __main__   python3 -m symroute_router apply|diff (the boot unit)
    monitor/   the link monitor (python3 -m symroute_router.monitor)
"""
