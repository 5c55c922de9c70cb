"""Summary statistics by nearest rank: every percentile is a value from the list."""

from __future__ import annotations

import pytest

from runner.latency import Summary, percentile, summarize


def test_one_to_ten_summarizes_exactly() -> None:
    assert summarize([float(value) for value in range(1, 11)]) == Summary(
        count=10, min=1.0, max=10.0, mean=5.5, p50=5.0, p90=9.0, p99=10.0
    )


def test_order_of_the_values_does_not_matter() -> None:
    assert summarize([0.8, 0.2, 0.5]) == Summary(
        count=3, min=0.2, max=0.8, mean=0.5, p50=0.5, p90=0.8, p99=0.8
    )


def test_one_value_is_every_statistic() -> None:
    assert summarize([1.25]) == Summary(count=1, min=1.25, max=1.25, mean=1.25, p50=1.25, p90=1.25, p99=1.25)


def test_no_values_have_no_summary() -> None:
    assert summarize([]) is None


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 1), (1, 1), (7, 7), (29, 29), (50, 50), (57, 57), (99, 99), (100, 100)],
)
def test_the_rank_is_exact_where_floats_would_round_up_one_too_many(p: int, expected: int) -> None:
    # 0.07 * 100 is 7.000000000000001 in floats, whose ceiling is 8.
    assert percentile([float(value) for value in range(1, 101)], p) == expected


def test_the_rank_rounds_up_between_values() -> None:
    values = [0.1, 0.2, 0.3, 0.4]
    assert [percentile(values, p) for p in (25, 26, 50, 51, 75, 76)] == [0.1, 0.2, 0.2, 0.3, 0.3, 0.4]


def test_a_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="a percentile needs at least one"):
        percentile([], 50)


@pytest.mark.parametrize("p", [-1, 101])
def test_a_percentile_outside_0_to_100_is_an_error(p: int) -> None:
    with pytest.raises(ValueError, match="p must be between 0 and 100"):
        percentile([1.0], p)
