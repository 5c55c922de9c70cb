"""What the mock carrier's calls come to: answered, busy, not answered, a machine, failed.

A spec gives each outcome its share of the calls, as ``answered=0.8,busy=0.1,no-answer=0.1``
(an outcome left out has none; the shares add up to 1). Each dialled call draws its
outcome from a generator seeded with ``seed``: the same seed gives the same outcomes to
the same order of calls, so tests and demos of retries and machines are reproducible.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.providers._errors import ProviderConfigError

#: How far the shares may add up from 1: room for decimals such as 0.1 + 0.2.
SUM_TOLERANCE = 0.001


class Outcome(enum.StrEnum):
    #: A person answers and the call runs as scripted.
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    #: An answering machine answers (AnsweredBy says so when detection was asked for).
    MACHINE = "machine"
    FAILED = "failed"


class MockOutcomesError(ProviderConfigError):
    """A spec of outcomes that cannot be read; ``spec`` is the text given."""

    def __init__(self, spec: str, message: str) -> None:
        super().__init__("mock", f"--mock-outcomes '{spec}': {message}")
        self.spec = spec


@dataclass
class MockOutcomes:
    """Shares of outcomes, and the seeded generator every call's outcome is drawn from."""

    shares: Mapping[Outcome, float]
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str, seed: int | None = None) -> MockOutcomes:
        """Read ``name=share,...``. Raises MockOutcomesError naming what is wrong."""
        shares: dict[Outcome, float] = {}
        for part in spec.split(","):
            name, equals, value = (piece.strip() for piece in part.partition("="))
            if not name and not equals:
                continue
            if not equals:
                raise MockOutcomesError(spec, f"expected NAME=SHARE, found '{part.strip()}'")
            outcome = _outcome(spec, name)
            if outcome in shares:
                raise MockOutcomesError(spec, f"'{name}' is given twice")
            shares[outcome] = _share(spec, name, value)
        total = math.fsum(shares.values())
        if abs(total - 1) > SUM_TOLERANCE:
            raise MockOutcomesError(spec, f"the shares add up to {total:g}, not 1")
        return cls(shares, seed)

    def draw(self) -> Outcome:
        """The next call's outcome."""
        outcomes = [outcome for outcome, share in self.shares.items() if share > 0]
        weights = [self.shares[outcome] for outcome in outcomes]
        return self._random.choices(outcomes, weights)[0]


def _outcome(spec: str, name: str) -> Outcome:
    try:
        return Outcome(name)
    except ValueError:
        known = ", ".join(outcome.value for outcome in Outcome)
        raise MockOutcomesError(spec, f"unknown outcome '{name}'; expected one of {known}") from None


def _share(spec: str, name: str, value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise MockOutcomesError(spec, f"the share of '{name}' is not a number: '{value}'") from None
    if not math.isfinite(share) or share < 0:
        raise MockOutcomesError(spec, f"the share of '{name}' must be a number from 0 to 1, found '{value}'")
    return share
