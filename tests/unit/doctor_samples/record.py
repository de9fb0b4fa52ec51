"""Record what the doctor reads on a real router (a network namespace), for the unit tests to replay.

    ip netns exec sdoc-router env PYTHONPATH=module_utils python3 tests/unit/doctor_samples/record.py \\
        NAME [doctor options...]

Runs the doctor once with recording wrappers around its runner, its /proc/sys reader and its
connector, and writes NAME.json here: {"argv", "hostname", "now", "commands": [[argv, rc, stdout,
stderr]], "sysctl": {path: text}, "connects": [[family, source, interface, address, port, result,
text]]}. Only for recording; the tests never run it (they replay the file).
"""

import json
import pathlib
import sys
import time

from symroute_router.command import Runner
from symroute_router.doctor import __main__ as cli, facts, probe

HERE = pathlib.Path(__file__).resolve().parent


def main():
    name, argv = sys.argv[1], sys.argv[2:]
    commands, sysctl, connects = [], {}, []
    real = Runner()

    class Recording:
        def run(self, args, stdin=None):
            result = real.run(args, stdin)
            commands.append([list(args), result.rc, result.stdout, result.stderr])
            return result

    def read(path):
        sysctl[path] = facts.read_proc_sys(path)
        return sysctl[path]

    def connect(*args):
        outcome = probe.connect(*args)
        connects.append([*args[:5], *outcome])
        return outcome

    now = int(time.time())

    class Capture:
        text = ""

        def write(self, chunk):
            self.text += chunk

    out = Capture()
    status = cli.main(
        argv + ["--format", "json"],
        runner=Recording(),
        out=out,
        read_sysctl=read,
        connector=connect,
        hostname="edge-lab",
        now=now,
    )
    document = {
        "argv": argv,
        "hostname": "edge-lab",
        "now": now,
        "status": status,
        "commands": commands,
        "sysctl": sysctl,
        "connects": connects,
    }
    (HERE / f"{name}.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"{name}.json: status {status}, {len(commands)} commands, {len(connects)} connects")


if __name__ == "__main__":
    main()
