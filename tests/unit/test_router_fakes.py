"""The fake router of the router package's unit tests (router_fakes.py) answers as iproute2 does."""

from router_fakes import FakeRouter


def test_fake_answers_a_missing_table_as_ip_does():
    result = FakeRouter().run(["ip", "-4", "-N", "-json", "route", "show", "table", "200"])
    assert result.rc == 2 and "FIB table does not exist" in result.stderr and result.stdout == "["


def test_fake_batch_keeps_going_and_reports_each_failed_line():
    fake = FakeRouter()
    fake.set_down("wanb")
    result = fake.run(
        ["ip", "-4", "-force", "-batch", "-"],
        stdin="route replace 198.51.100.4/30 dev wanb table 201\nroute replace 198.51.100.0/30 dev wana table 200\n",
    )
    assert result.rc == 1
    assert result.stderr == "Error: Device for nexthop is not up.\nCommand failed -:1\n"
    assert fake.routes[(4, "200")] == [
        {"dst": "198.51.100.0/30", "dev": "wana", "protocol": "4", "flags": [], "scope": "253"}
    ]


def test_fake_rules_read_back_in_ip_json_form():
    fake = FakeRouter()
    fake.run(
        ["ip", "-4", "-batch", "-"],
        stdin="rule add priority 10200 fwmark 0x100/0x7f00 lookup 200\n"
        "rule add priority 10300 to 203.0.113.0/24 prohibit\n",
    )
    assert fake.rules[4][1:3] == [
        {"priority": 10200, "src": "all", "fwmark": "0x100", "fwmask": "0x7f00", "table": "200"},
        {"priority": 10300, "src": "all", "dst": "203.0.113.0", "dstlen": 24, "action": "8"},
    ]
