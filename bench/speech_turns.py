"""Calls of many speech turns each, a bounded number in flight, as a carrier would send them.

Each of ``calls_in_flight`` callers places one call after another on a keep-alive
connection of its own: the first webhook of a new inbound call, then ``turns`` times the
caller's words posted to the action URL of the last answer's <Gather> (signed over that
URL, as Twilio signs it), then the status webhook that says the call is completed. Every
answer to the caller's words must say ``expected`` and listen again. A caller sends its
next request when its last one is answered (a closed loop, as in bench/two_turn_calls.py,
whose raw-stream connection this reuses). A turn is one of the caller's words answered.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from carrier_requests import call_sid, inbound_form, official_validator
from two_turn_calls import KEPT_ERRORS, KeptAliveConnection, TurnError, call_after_call, run_on_uvloop

if TYPE_CHECKING:
    # twilio ships no type information.
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

_ACTION = re.compile(r'<Gather [^>]*action="([^"]+)"')


@dataclass
class SpeechTurnRun:
    seconds: float
    #: The caller's words answered within the measured window.
    turns: int = 0
    #: Every request answered within the window: first webhooks, turns and status webhooks.
    requests: int = 0
    calls_started: int = 0
    calls_ended: int = 0
    turn_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Turns per second."""
        return self.turns / self.seconds

    def percentile(self, share: float) -> float:
        if len(self.turn_ms) < 2:
            return self.turn_ms[0] if self.turn_ms else float("nan")
        return statistics.quantiles(self.turn_ms, n=100, method="inclusive")[round(share * 100) - 1]

    def failed(self, why: str) -> None:
        self.errors += 1
        if len(self.error_samples) < KEPT_ERRORS:
            self.error_samples.append(why)


def _speech_form(sid: str, words: str) -> dict[str, str]:
    """What Twilio posts to a speech <Gather>'s action URL when the caller said ``words``."""
    return {**inbound_form(sid), "CallStatus": "in-progress", "SpeechResult": words, "Confidence": "0.92"}


def _ended_form(sid: str) -> dict[str, str]:
    """Twilio's status webhook when the caller has hung up."""
    return {**inbound_form(sid), "CallStatus": "completed", "CallDuration": "30"}


class _Caller:
    """One caller's calls on one connection; counts into ``run`` while the window is open."""

    def __init__(self, run: SpeechTurnRun, validator: RequestValidator, url: str, deadline: float) -> None:
        self.run, self.validator, self.url, self.deadline = run, validator, url, deadline

    async def post(self, connection: KeptAliveConnection, url: str, form: dict[str, str]) -> str:
        parts = urlsplit(url)
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        status, answer = await connection.post(
            target, self.validator.compute_signature(url, form), urlencode(form)
        )
        if status != 200:
            raise TurnError(f"answered {status}: {answer[:200]!r}")
        if time.perf_counter() <= self.deadline:
            self.run.requests += 1
        return answer

    async def call(self, connection: KeptAliveConnection, sid: str, turns: int, expected: str) -> None:
        answer = await self.post(connection, self.url, inbound_form(sid))
        for number in range(turns):
            found = _ACTION.search(answer)
            if found is None:
                raise TurnError(f"turn {number}: an answer with no <Gather action>: {answer[:200]!r}")
            began = time.perf_counter()
            answer = await self.post(connection, html.unescape(found.group(1)), _speech_form(sid, "Go on."))
            ended = time.perf_counter()
            if expected not in answer:
                raise TurnError(f"turn {number + 1} did not say {expected!r}: {answer[:200]!r}")
            self.run.turn_ms.append((ended - began) * 1000)
            if ended <= self.deadline:
                self.run.turns += 1
        await self.post(connection, self.url, _ended_form(sid))
        self.run.calls_ended += 1


async def _drive(
    url: str, calls_in_flight: int, seconds: float, turns: int, expected: str, tag: int
) -> SpeechTurnRun:
    run = SpeechTurnRun(seconds=seconds)
    deadline = time.perf_counter() + seconds
    caller = _Caller(run, official_validator(), url, deadline)

    async def place(connection: KeptAliveConnection, worker: int, number: int) -> None:
        run.calls_started += 1
        await caller.call(connection, call_sid(tag, worker, number), turns, expected)

    await call_after_call(url, calls_in_flight, deadline, place, run.failed)
    return run


def drive_speech_turns(
    url: str, *, calls_in_flight: int, seconds: float, turns: int, expected: str, tag: int
) -> SpeechTurnRun:
    """Calls of ``turns`` speech turns each against the webhook at ``url`` for ``seconds``;
    ``tag`` goes into every CallSid, so two runs never share one."""
    return run_on_uvloop(_drive(url, calls_in_flight, seconds, turns, expected, tag))
