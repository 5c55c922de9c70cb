"""Summary statistics of latencies: count, extremes, mean and nearest-rank percentiles."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Statistics of a non-empty list of values, in the values' unit."""

    count: int
    min: float
    max: float
    mean: float
    p50: float
    p90: float
    p99: float


def summarize(values: Iterable[float]) -> Summary | None:
    """The summary of ``values``, or None when there are none: nothing has no minimum."""
    ordered = sorted(values)
    if not ordered:
        return None
    return Summary(
        count=len(ordered),
        min=ordered[0],
        max=ordered[-1],
        mean=math.fsum(ordered) / len(ordered),
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
    )


def percentile(ordered: Sequence[float], p: int) -> float:
    """The ``p``-th percentile of sorted ``ordered`` by nearest rank: the value at 1-based
    rank ceil(p/100 * n). Always a value from the list, never an interpolation."""
    if not ordered:
        raise ValueError("no values: a percentile needs at least one")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be between 0 and 100, not {p}")
    # Integer ceiling division: p / 100 * n in floats can land a hair above a whole
    # number (0.07 * 100 is 7.000000000000001) and round the rank up one too many.
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]
