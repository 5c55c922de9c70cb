"""Calls of two turns each, a bounded number in flight, as a carrier would send them.

Each of ``calls_in_flight`` callers places one call after another on a keep-alive
connection of its own: the first webhook of a new inbound call (its own CallSid, to the
bare webhook URL), then, once answered, the caller's key posted to the action URL of the
answer's <Gather>, signed over that URL as Twilio signs it. The second answer must end
the call (<Hangup/>). Like wrk, a caller sends its next request when its last one is
answered (closed loop), so the figures are the server's rate under that load, not an
arrival rate.

The requests are written and read on raw asyncio streams (HTTP/1.1, Content-Length
bodies): httpx's AsyncClient answered 225 requests a second with 32 in flight on this
machine, with a core of its own, about a tenth of what the servers answer, so it would
have measured itself.
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from carrier_requests import SECOND_TURN_DIGITS, call_sid, gather_form, inbound_form, official_validator

if TYPE_CHECKING:
    # twilio ships no type information.
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

_ACTION = re.compile(r'<Gather [^>]*action="([^"]+)"')
#: Errors kept word for word in a run's report; the rest are only counted.
KEPT_ERRORS = 5

T = TypeVar("T")


class TurnError(Exception):
    """A turn that was not answered as a carrier needs it."""


@dataclass
class TwoTurnRun:
    seconds: float
    #: Calls whose second turn was answered within the measured window.
    calls: int = 0
    #: Calls begun, and those answered to the end (some after the window closed).
    started: int = 0
    finished: int = 0
    first_ms: list[float] = field(default_factory=list)
    second_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Calls per second, both turns answered."""
        return self.calls / self.seconds

    def percentile(self, turn: int, share: float) -> float:
        latencies = self.first_ms if turn == 1 else self.second_ms
        if len(latencies) < 2:
            return latencies[0] if latencies else float("nan")
        return statistics.quantiles(latencies, n=100, method="inclusive")[round(share * 100) - 1]

    def failed(self, why: str) -> None:
        self.errors += 1
        if len(self.error_samples) < KEPT_ERRORS:
            self.error_samples.append(why)


class KeptAliveConnection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> KeptAliveConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def post(self, target: str, signature: str, body: str) -> tuple[int, str]:
        content = body.encode("ascii")
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(content)}\r\n\r\n"
        )
        self.writer.write(head.encode("ascii") + content)
        status_line, _, headers = (
            (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").partition("\r\n")
        )
        length = re.search(r"^content-length:\s*(\d+)", headers, re.IGNORECASE | re.MULTILINE)
        if length is None:
            raise TurnError(f"an answer without Content-Length: {status_line}")
        answer = await self.reader.readexactly(int(length.group(1)))
        return int(status_line.split()[1]), answer.decode("utf-8")

    def close(self) -> None:
        self.writer.close()


async def _call(
    connection: KeptAliveConnection, validator: RequestValidator, url: str, sid: str
) -> tuple[float, float]:
    """Both turns of one call; how long each took to be answered, in ms."""
    form = inbound_form(sid)
    target = urlsplit(url)
    began = time.perf_counter()
    status, answer = await connection.post(
        target.path, validator.compute_signature(url, form), urlencode(form)
    )
    answered = time.perf_counter()
    found = _ACTION.search(answer)
    if status != 200 or found is None:
        raise TurnError(f"the first turn was answered {status}, with no <Gather action>: {answer[:200]!r}")
    action = html.unescape(found.group(1))
    form = gather_form(sid, SECOND_TURN_DIGITS)
    parts = urlsplit(action)
    signature = validator.compute_signature(action, form)
    status, answer = await connection.post(f"{parts.path}?{parts.query}", signature, urlencode(form))
    ended = time.perf_counter()
    if status != 200 or "<Hangup/>" not in answer:
        raise TurnError(f"the second turn was answered {status}, with no <Hangup/>: {answer[:200]!r}")
    return (answered - began) * 1000, (ended - answered) * 1000


async def call_after_call(
    url: str,
    calls_in_flight: int,
    deadline: float,
    place: Callable[[KeptAliveConnection, int, int], Awaitable[None]],
    failed: Callable[[str], None],
) -> None:
    """``calls_in_flight`` callers, each placing one call after another on a kept-alive
    connection of its own until ``deadline``: ``place(connection, worker, number)``. A call
    that fails is told to ``failed``, and its caller goes on on a new connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    connections = [await KeptAliveConnection.open(host, port) for _ in range(calls_in_flight)]

    async def caller(worker: int) -> None:
        number = 0
        while time.perf_counter() < deadline:
            number += 1
            try:
                await place(connections[worker], worker, number)
            except (OSError, asyncio.IncompleteReadError, TurnError) as error:
                failed(f"{type(error).__name__}: {error}")
                # The connection may hold half an answer: the next call starts on a new one.
                connections[worker].close()
                try:
                    connections[worker] = await KeptAliveConnection.open(host, port)
                except OSError as refused:
                    failed(f"the caller stops: cannot connect again: {refused}")
                    return

    try:
        await asyncio.gather(*(caller(worker) for worker in range(calls_in_flight)))
    finally:
        for connection in connections:
            connection.close()


async def _drive(url: str, calls_in_flight: int, seconds: float, tag: int) -> TwoTurnRun:
    run = TwoTurnRun(seconds=seconds)
    validator = official_validator()
    deadline = time.perf_counter() + seconds

    async def place(connection: KeptAliveConnection, worker: int, number: int) -> None:
        run.started += 1
        first, second = await _call(connection, validator, url, call_sid(tag, worker, number))
        run.finished += 1
        run.first_ms.append(first)
        run.second_ms.append(second)
        if time.perf_counter() <= deadline:
            run.calls += 1

    await call_after_call(url, calls_in_flight, deadline, place, run.failed)
    return run


def run_on_uvloop(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed, as the servers do: the driver's own cost stays small."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def drive_two_turn_calls(url: str, *, calls_in_flight: int, seconds: float, tag: int) -> TwoTurnRun:
    """Calls of two turns each against the webhook at ``url`` for ``seconds``.

    ``tag`` goes into every CallSid, so two runs never share one.
    """
    return run_on_uvloop(_drive(url, calls_in_flight, seconds, tag))
