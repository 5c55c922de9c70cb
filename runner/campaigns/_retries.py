"""What a campaign call came to, and when a recipient is tried again.

``completed`` and ``voicemail`` are final; ``busy``, ``no-answer`` and ``failed`` are
tried again after ``base * 2 ** (attempt - 1)`` seconds, stretched by up to half again
by a seeded jitter, until ``max_attempts``. The jitter spreads retries that came due
together, and only ever lengthens a delay, so each delay is longer than the one before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from runner.store import Outcome
from runner.types import CallRecord, EndReason

#: The share by which jitter may lengthen a delay: 0.5 makes it up to 1.5 times as long.
JITTER = 0.5

RETRIED: frozenset[Outcome] = frozenset({"busy", "no-answer", "failed"})

_NOT_ANSWERED: dict[EndReason, Outcome] = {EndReason.BUSY: "busy", EndReason.NO_ANSWER: "no-answer"}


def outcome_of(record: CallRecord) -> Outcome:
    """The outcome of an ended call.

    A call someone answered is ``completed`` however it ended (they heard the message, or
    hung up on it: calling them again is what a campaign must not do), or ``voicemail``
    when a machine answered. One nobody answered is busy, no-answer, or else failed.
    """
    if record.end_reason is EndReason.VOICEMAIL or record.answered_by == "machine":
        return "voicemail"
    if record.answered_at is not None:
        return "completed"
    if record.end_reason is None:
        raise ValueError(f"call {record.id} has not ended")
    return _NOT_ANSWERED.get(record.end_reason, "failed")


def call_duration(record: CallRecord) -> float | None:
    """Seconds from the answer to the end; None for a call nobody answered."""
    if record.answered_at is None or record.ended_at is None:
        return None
    return record.ended_at - record.answered_at


@dataclass
class RetryPolicy:
    """When an attempt that came to ``outcome`` is tried again; ``seed`` makes the jitter
    reproducible."""

    max_attempts: int = 3
    base_delay: float = 60.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, not {self.max_attempts}")
        if self.base_delay < 0:
            raise ValueError(f"the retry base delay must be 0 or more, not {self.base_delay}")
        self._random = random.Random(self.seed)

    def retry_at(self, outcome: Outcome, attempt: int, now: float) -> float | None:
        """When attempt number ``attempt`` (1 for the first) is followed by another; None
        when ``outcome`` is final."""
        if outcome not in RETRIED or attempt >= self.max_attempts:
            return None
        delay = self.base_delay * 2.0 ** (attempt - 1)
        return now + delay * (1 + JITTER * self._random.random())
