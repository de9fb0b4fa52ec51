"""symroute: pin critical partners to WAN links and keep every connection symmetric.

The package is the plan engine: plain Python over netaddr, no Ansible needed.
``symroute.plan.build_plan`` turns one router's inventory variables into a plan;
``symroute.validate`` checks them first and reports every problem at once.
"""

__version__ = "0.1.0"
