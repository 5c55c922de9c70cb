"""When a recipient is tried again: growing, jittered, reproducible delays, up to max_attempts."""

from __future__ import annotations

import pytest

from runner.campaigns import RetryPolicy
from runner.store import Outcome


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_a_retried_outcome_waits_base_times_two_to_the_attempts_so_far(outcome: Outcome) -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=10.0, seed=5)
    delays = [policy.retry_at(outcome, attempt, 100.0) for attempt in (1, 2, 3)]
    assert [delay is not None for delay in delays] == [True, True, True]
    for attempt, retry_at in enumerate(delays, start=1):
        assert retry_at is not None
        base = 10.0 * 2 ** (attempt - 1)
        assert base <= retry_at - 100.0 < 1.5 * base
    assert policy.retry_at(outcome, 4, 100.0) is None


@pytest.mark.parametrize("outcome", ["completed", "voicemail"])
def test_completed_and_voicemail_are_final(outcome: Outcome) -> None:
    assert RetryPolicy(max_attempts=3).retry_at(outcome, 1, 0.0) is None


def test_the_same_seed_gives_the_same_delays() -> None:
    first, second = RetryPolicy(seed=9), RetryPolicy(seed=9)
    assert [first.retry_at("busy", 1, 0.0) for _ in range(3)] == [
        second.retry_at("busy", 1, 0.0) for _ in range(3)
    ]


def test_max_attempts_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts must be 1 or more, not 0"):
        RetryPolicy(max_attempts=0)
