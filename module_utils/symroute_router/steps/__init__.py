"""The converge's steps, each one concern of the router's state, run by the one-call converge
(``..converge``; its parts are in ``parts``).

Each step is ``run(request, check_mode, ...)``: it reads the live state, computes the exact difference
with the request, and (not in check mode) applies it; it returns a plain result (``changed``, ``diff``
and the step's own fields) or raises ``StepFailed``. The modules turn results into ``exit_json`` and
``StepFailed`` into ``fail_json``; the converge runs them in order in one call.

    sysctl_step     the sysctl.d file and the live values
    nftables_step   the nftables file, checked, loaded in one transaction
    routing_step    rules and routes, the state file, table names, the boot unit
    package_step    the router package's installed copy
    files_step      rendered files (units, configuration, control command)
    services        systemd units and the background monitor
"""


class StepFailed(Exception):
    """A step could not do its job; ``fields`` go into the module's failure result."""

    def __init__(self, text, **fields):
        super().__init__(text)
        self.fields = fields
