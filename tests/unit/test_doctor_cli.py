"""`symroute doctor` on the command line: strict options (one clear line and exit status 2, never a
traceback), exit status 0/1 from the findings, the output files, bin/symroute's doctor subcommand."""

import io
import json
import os
import subprocess
import sys

import pytest
from test_doctor_fakes import replayed

from paths import REPOSITORY
from symroute_router.doctor.__main__ import main

HOSTILE = [
    (["--target", "100.64.20.10:80\n"], "target '100.64.20.10:80\\n': the port must be an integer 1-65535"),
    (["--target", "100.64.20.10\n:80"], "target '100.64.20.10\\n:80' is not ADDRESS:PORT"),
    (["--target", "100.64.20.10:99999999999999999999"], "the port must be an integer 1-65535"),
    (["--target", "100.64.20.10:65536"], "the port must be an integer 1-65535"),
    (["--target", "100.64.20.10:0"], "the port must be an integer 1-65535"),
    (["--target", "100.64.20.10:+80"], "the port must be an integer 1-65535"),
    (["--target", "partner.example:443"], "is not ADDRESS:PORT"),
    (["--target", "2001:db8::1:443"], "is not ADDRESS:PORT"),
    (["--target", "[100.64.20.10]:80"], "an IPv6 address goes in brackets"),
    (["--target", "[fe80::1%eth0]:80"], "is not ADDRESS:PORT"),
    (["--target", "127.0.0.1:80"], "is not a routable unicast address"),
    (["--target", "300.1.1.1:80"], "is not an IP address"),
    (["--watch", "1.5"], "--watch '1.5' is not an integer 0-3600"),
    (["--watch", "3601"], "--watch 3601 is outside 0-3600"),
    (["--watch", "1e3"], "--watch '1e3' is not an integer 0-3600"),
    (["--watch", "-1"], "--watch '-1' is not an integer 0-3600"),
    (["--watch", "\u0661"], "is not an integer 0-3600"),  # ARABIC-INDIC DIGIT ONE: int() would take it
    (["--timeout-ms", "0"], "--timeout-ms 0 is outside 1-60000"),
    (["--timeout-ms", "60001"], "--timeout-ms 60001 is outside 1-60000"),
    (["--link", "x=wan a"], "interface 'wan a' is not an interface name"),
    (["--link", "x=eth0/1"], "interface 'eth0/1' is not an interface name"),
    (["--link", "x=averyveryverylong0"], "is not an interface name"),
    (["--link", "x=all"], "is not an interface name"),
    (["--link", "wan_a"], "link 'wan_a' is not NAME=INTERFACE"),
    (["--link", "wan a=wana"], "link name 'wan a' is not 1-32 letters"),
    (["--link", "a=wana", "--link", "b=wana"], "is given twice"),
    (["--site-address", "lan.example"], "site address 'lan.example' is not an IP address"),
    (["--prefix-length4", "33"], "--prefix-length4 33 is outside 8-32"),
    (["--format", "xml"], "invalid choice: 'xml'"),
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["--monitor-config", "/etc/x\n"], "is not a file path"),
    (["--json-out", ""], "--json-out '' is not a file path"),
]


def _run(argv, name="incident", **kwargs):
    recording, replay, connector, read = replayed(name)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        argv,
        runner=replay,
        out=out,
        err=err,
        read_sysctl=read,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=0,
        **kwargs,
    )
    return status, out.getvalue(), err.getvalue(), replay


@pytest.mark.parametrize("argv, expected", HOSTILE, ids=[" ".join(a) for a, _ in HOSTILE])
def test_a_bad_option_is_one_clear_line_and_status_2(argv, expected):
    status, out, err, replay = _run(argv)
    assert status == 2
    assert out == "" and replay.calls == []  # nothing was read, nothing probed
    assert err.count("\n") == 1 and err.startswith("symroute doctor: error: ")
    assert expected in err
    assert "Traceback" not in err


def _module_environment():
    return dict(os.environ, PYTHONPATH=str(REPOSITORY / "module_utils"))


@pytest.mark.parametrize(
    "argv",
    [["--target", "1.2.3.4:80\nx"], ["--watch", "0.5"], ["--link", "x=wan a"], ["--target", "1.2.3.4:" + "9" * 5000]],
)
def test_a_bad_option_in_a_real_process_is_one_line_without_traceback(argv):
    done = subprocess.run(
        [sys.executable, "-m", "symroute_router.doctor", *argv],
        capture_output=True,
        text=True,
        env=_module_environment(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_problems_exit_1_and_write_both_reports(tmp_path):
    status, out, err, replay = _run(
        [
            "--target",
            "100.64.20.10:80",
            "--link",
            "wan_a=wana",
            "--format",
            "json",
            "--json-out",
            str(tmp_path / "r.json"),
            "--markdown-out",
            str(tmp_path / "r.md"),
        ]
    )
    assert (status, err) == (1, "")
    assert (tmp_path / "r.json").read_text() == out
    report = json.loads(out)
    assert report["problems"] > 0 and report["router"] == "edge-lab"
    assert (tmp_path / "r.md").read_text().startswith("# symroute doctor: edge-lab\n")


def test_no_problem_exits_0():
    recording, replay, connector, read = replayed("symroute")
    values = dict(recording["sysctl"], **{"net/ipv4/conf/wanb/rp_filter": "2"})
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["--target", "100.64.20.10:80"],
        runner=replay,
        out=out,
        err=err,
        read_sysctl=values.get,
        connector=connector,
        sleep=lambda s: None,
        hostname="edge-lab",
        now=0,
    )
    assert status == 0, out.getvalue()
    assert "No problem" not in err.getvalue() and "0 problem(s)" in out.getvalue()


def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path):
    status, out, err, _ = _run(["--json-out", str(tmp_path / "missing" / "r.json")])
    assert status == 2 and err.count("\n") == 1 and "cannot write" in err


def test_help_exits_0(capsys):
    status, _, _, replay = _run(["--help"])
    assert status == 0 and replay.calls == []
    assert "--target ADDRESS:PORT" in capsys.readouterr().out


def test_bin_symroute_doctor_runs_the_router_package_with_the_system_python():
    done = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "doctor", "--watch", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr == "symroute doctor: error: --watch 'x' is not an integer 0-3600\n"
    usage = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "doctor", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert usage.returncode == 0 and "usage: symroute doctor" in usage.stdout
