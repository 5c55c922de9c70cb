"""The sliding window that keeps a campaign at most ``cps`` call starts in any second."""

from __future__ import annotations

import pytest

from runner.campaigns import Pace


def test_cps_calls_may_start_at_once_and_the_next_one_a_second_after_the_first() -> None:
    pace = Pace(2)
    for at in (10.0, 10.4):
        assert pace.next_start_at(at) == at
        pace.started(at)
    assert pace.room(10.5) == 0
    assert pace.next_start_at(10.5) == 11.0
    assert pace.room(11.0) == 1
    assert pace.room(11.4) == 2


def test_no_cps_is_no_limit() -> None:
    pace = Pace(None)
    pace.started(1.0)
    assert pace.room(1.0) is None
    assert pace.next_start_at(1.0) == 1.0


def test_a_cps_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="cps must be 1 or more, not 0"):
        Pace(0)
