"""The command line: ``python3 -m symroute_router.doctor`` (``bin/symroute doctor`` in a checkout).

Exit status 0 when no finding is a problem, 1 when some are, 2 on bad usage (one line on stderr).
"""

import os
import sys

from ..command import Runner
from . import DEFAULTS, diagnose, markdown, options, report
from .command_line import parser


def _settings(args):
    """The checked settings, or OptionError."""
    return {
        "targets": options.targets(args.target),
        "watch_s": options.integer(args.watch, "watch", "--watch"),
        "timeout_ms": options.integer(args.timeout_ms, "timeout_ms", "--timeout-ms"),
        "links": options.links([options.link(text) for text in args.link]),
        "site_addresses": options.site_addresses(args.site_address),
        "monitor_config": options.path(args.monitor_config, "--monitor-config"),
        "prefix_length4": options.integer(args.prefix_length4, "prefix_length4", "--prefix-length4"),
        "prefix_length6": options.integer(args.prefix_length6, "prefix_length6", "--prefix-length6"),
    }


def _write(path, text):
    """Write an output file the operator asked for (the doctor's only write)."""
    # Not through a symbolic link planted at that path (the doctor runs as root).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def main(argv=None, runner=None, out=None, err=None, **injected):
    """Run the doctor; ``injected`` (read_sysctl, connector, sleep, hostname, now) is for tests."""
    out, err = out or sys.stdout, err or sys.stderr
    command = parser(DEFAULTS, err)
    try:
        args = command.parse_args(argv)
        settings = _settings(args)
        for value, what in ((args.json_out, "--json-out"), (args.markdown_out, "--markdown-out")):
            if value is not None:
                options.path(value, what)
    except options.OptionError as error:
        err.write(f"symroute doctor: error: {error}\n")
        return 2
    except SystemExit as done:  # --help, or argparse's own refusal (already one line, see command_line)
        return done.code if isinstance(done.code, int) else 2
    result = diagnose(runner or Runner(), settings, **injected)
    rendered = {"json": report.to_json(result), "markdown": markdown.render(result)}
    try:
        for path, kind in ((args.json_out, "json"), (args.markdown_out, "markdown")):
            if path is not None:
                _write(path, rendered[kind])
    except OSError as error:
        err.write(f"symroute doctor: error: cannot write {options.shown(error.filename)}: {error.strerror}\n")
        return 2
    out.write(rendered[args.format])
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
