"""Hysteresis, reliability and flapping of one link (fake clock, no network)."""

import pytest

from symroute_router.monitor.tracker import LinkTracker, choose_gated

HEALTH = {"interval_ms": 300, "timeout_ms": 150, "reliability": 1, "down_after": 3, "up_after": 10}


def tracker(**health):
    return LinkTracker("wan_a", dict(HEALTH, **health), has_targets=True, now=0.0)


def rounds(link, answers, start=0.0, interval=0.3):
    """Feed rounds (answers: number of targets that answered each round); the transitions."""
    transitions = []
    for number, answered in enumerate(answers):
        result = link.observe_round(2, [0.01] * answered, start + number * interval)
        if result:
            transitions.append((number, result.up))
    return transitions


def test_down_after_the_third_missed_round_not_before():
    assert rounds(tracker(), [1, 0, 0, 0, 0]) == [(3, False)]


def test_a_single_good_round_resets_the_miss_count():
    assert rounds(tracker(), [0, 0, 1, 0, 0, 1, 0, 0]) == []


def test_up_again_after_ten_good_rounds():
    link = tracker()
    assert rounds(link, [0, 0, 0] + [1] * 9) == [(2, False)]
    assert not link.up
    assert rounds(link, [1]) == [(0, True)]


@pytest.mark.parametrize("reliability, answered, up", [(1, 1, True), (2, 1, False), (2, 2, True)])
def test_reliability_is_how_many_targets_must_answer(reliability, answered, up):
    link = tracker(reliability=reliability)
    rounds(link, [answered] * 5)
    assert link.up is up


def test_carrier_loss_is_down_at_once_and_carrier_back_needs_good_rounds():
    link = tracker()
    transition = link.observe_carrier(False, 1.0)
    assert transition.up is False and transition.reason == "carrier lost"
    assert rounds(link, [1] * 5) == []  # answers without carrier do not count
    assert link.observe_carrier(True, 3.0) is None
    assert rounds(link, [1] * 10) == [(9, True)]


def test_without_targets_carrier_alone_decides():
    link = LinkTracker("wan_b", HEALTH, has_targets=False, now=0.0)
    assert link.observe_carrier(False, 1.0).up is False
    assert link.observe_carrier(True, 2.0).up is True


def test_twenty_flaps_in_a_minute_give_a_bounded_number_of_transitions():
    # The upstream alternates 1.5 s dead / 1.5 s alive: 20 flaps in 60 s (200 rounds).
    link = tracker()
    answers = [0 if (number * 0.3) % 3.0 < 1.5 else 1 for number in range(200)]
    transitions = rounds(link, answers)
    # Coming back takes 10 good rounds (3 s) and no alive period lasts that long: one transition.
    assert transitions == [(2, False)]


def test_transitions_are_never_closer_than_the_hysteresis():
    link = tracker()
    # Outages of 4 rounds between 12 good rounds: each cycle just long enough to count.
    answers = ([0] * 4 + [1] * 12) * 12
    transitions = rounds(link, answers)
    positions = [number for number, _ in transitions]
    gaps = [later - earlier for earlier, later in zip(positions, positions[1:])]
    assert len(transitions) == 24
    assert min(gaps) >= 3  # down_after rounds at the least
    assert link.transitions == 24


def test_loss_ratio_over_the_window():
    link = tracker()
    rounds(link, [2, 1, 0, 2])  # 8 probes sent, 5 answered
    assert link.loss == pytest.approx(3 / 8)


@pytest.mark.parametrize(
    "links_up, previously, gated",
    [
        ({"a": True, "b": True}, set(), set()),
        ({"a": False, "b": True}, set(), {"a"}),
        ({"a": True, "b": False}, set(), {"b"}),
        ({"a": False, "b": False}, {"a"}, {"a"}),  # all down: keep the last configuration
        ({"a": False, "b": False}, set(), set()),
        ({"a": False, "b": True, "c": True}, set(), {"a"}),
        ({"a": False, "b": False, "c": True}, {"a"}, {"a", "b"}),
        ({"a": False, "b": False, "c": False}, {"a", "b"}, {"a", "b"}),  # c stays in service
        ({"a": True, "b": False, "c": False}, {"b", "c"}, {"b", "c"}),
    ],
)
def test_choose_gated(links_up, previously, gated):
    assert choose_gated(links_up, previously) == frozenset(gated)
