"""symroute: pin critical partners to WAN links and keep every connection symmetric.

The package is the plan engine: plain Python over netaddr. Planning data
needs nothing else (``symroute.pipeline.plan_routers`` over router variables,
the ``symroute_plan`` filter); reading an inventory from disk
(``ansible_inventory``, ``inventory_files``) uses ansible-core's own inventory
loader, so that group_vars, host_vars and inventory plugins mean exactly what
they mean to ansible-playbook. ``symroute.validate`` checks the variables first
and reports every problem at once.
"""

__version__ = "0.1.0"
