"""The load of bench/media_streams.py: calls answered as Twilio answers them, their media
streams opened and paced at 50 frames a second each, and what the server's processes
and core spent while they ran."""

from __future__ import annotations

import asyncio
import base64
import heapq
import html
import itertools
import os
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from carrier_requests import call_sid, form_headers, inbound_form, official_validator
from media_side import StreamError, StreamSide, StreamTimeout
from server_process import Server, check_answer
from two_turn_calls import run_on_uvloop

from runner.audio import FRAME_SECONDS, SAMPLE_RATE, SILENCE_BYTE, encode, frames, read_wav, resample

WEBHOOK_PATH = "/voice/webhook"
#: What the caller says, over and over, with a second of silence after it.
CALLER_SAYS = "I want to confirm my appointment"
_STREAM = re.compile(r'<Stream url="([^"]+)"')
_TOKEN = re.compile(r'<Parameter name="token" value="([^"]+)"')
#: The pacer wakes at most this often: a frame goes up to 2 ms late, as on any network,
#: and waking for each of thousands of frames a second would cost this process a core.
PACER_WAKE_SECONDS = 0.002
#: Calls answered and streams opened at once.
OPENING_AT_ONCE = 4
#: Seconds a stream may take to open, and to close once stopped.
PATIENCE_SECONDS = 10.0


@dataclass(frozen=True)
class Load:
    streams: int
    seconds: float
    warmup: float
    #: Goes into every CallSid: no two rows share one.
    tag: int


@dataclass(frozen=True)
class Spread:
    mean: float
    least: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.fmean(values), min(values)) if values else cls(0.0, 0.0)


@dataclass
class Row:
    streams: int
    in_rate: Spread
    out_rate: Spread
    handling_ms: list[float]
    late_share: float
    server_cpu: float | None
    espeak_cpu: float | None
    core_busy: float | None
    load_cpu: float
    server_mb: float | None
    #: Why not every stream could be opened, when the server was too busy to answer.
    stalled: str | None = None
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    def handling(self, share: float) -> float:
        if len(self.handling_ms) < 2:
            return self.handling_ms[0] if self.handling_ms else float("nan")
        return statistics.quantiles(self.handling_ms, n=100, method="inclusive")[round(share * 100) - 1]


def caller_payloads() -> list[str]:
    """The caller's audio as base64 20 ms frames: espeak-ng's voice, then silence."""
    wav = subprocess.run(["espeak-ng", "--stdout", "--", CALLER_SAYS], capture_output=True, check=True)
    pcm, rate = read_wav(wav.stdout)
    audio = encode(resample(pcm, rate, SAMPLE_RATE)) + bytes([SILENCE_BYTE]) * SAMPLE_RATE
    return [base64.b64encode(frame).decode("ascii") for frame in frames(audio)]


class Pacer:
    """Sends every stream its next frame when it is due: 20 ms apart, on a schedule kept
    from each stream's start, so a late wake-up sends what is due, not less."""

    def __init__(self, payloads: list[str]) -> None:
        self._payloads = payloads
        self._due: list[tuple[float, int, StreamSide, int]] = []
        self._order = itertools.count()

    def add(self, side: StreamSide) -> None:
        heapq.heappush(self._due, (time.perf_counter(), next(self._order), side, 0))

    async def run(self) -> None:
        due, payloads = self._due, self._payloads
        while True:
            now = time.perf_counter()
            while due and due[0][0] <= now:
                at, order, side, index = heapq.heappop(due)
                side.send_media(payloads[index % len(payloads)])
                if not side.stopping:
                    heapq.heappush(due, (at + FRAME_SECONDS, order, side, index + 1))
            wait = due[0][0] - time.perf_counter() if due else FRAME_SECONDS
            await asyncio.sleep(max(PACER_WAKE_SECONDS, wait))


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    #: The server's own process, and its children (espeak-ng), living and ended.
    server: float | None
    children: float | None
    core_busy: float | None
    core_total: float | None
    load: float


def _ticks(stat: str) -> list[int]:
    """The numbers of a /proc/PID/stat from the parent's pid on (fields 4 to 52 of proc(5)):
    after the command name, which is in parentheses and may hold spaces, and the state."""
    return [int(part) for part in stat.rsplit(")", 1)[1].split()[1:]]


def _process_cpu(pid: int) -> tuple[float, float] | None:
    """A process's own CPU seconds, and its children's (ended and living)."""
    clock = os.sysconf("SC_CLK_TCK")
    try:
        own = _ticks(Path(f"/proc/{pid}/stat").read_text(encoding="ascii"))
    except OSError:
        return None
    # From the parent's pid (field 4), fields 14-17: utime, stime, cutime, cstime.
    children = own[12] + own[13]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _ticks((entry / "stat").read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue  # ended meanwhile
        if fields[0] == pid:
            children += fields[10] + fields[11]
    return (own[10] + own[11]) / clock, children / clock


def _core_ticks(core: int) -> tuple[float, float] | None:
    """Busy and total ticks of one core so far (/proc/stat)."""
    try:
        lines = Path("/proc/stat").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        name, *numbers = line.split()
        if name == f"cpu{core}":
            ticks = [int(number) for number in numbers[:8]]
            idle = ticks[3] + ticks[4]
            return sum(ticks) - idle, sum(ticks)
    return None


def snapshot(server: Server, core: int) -> CpuSnapshot:
    pid = server.process.pid if server.process is not None else -1
    cpu = _process_cpu(pid)
    ticks = _core_ticks(core)
    return CpuSnapshot(
        time.perf_counter(),
        None if cpu is None else cpu[0],
        None if cpu is None else cpu[1],
        None if ticks is None else ticks[0],
        None if ticks is None else ticks[1],
        time.process_time(),
    )


def _share(before: float | None, after: float | None, seconds: float) -> float | None:
    return None if before is None or after is None else (after - before) / seconds


async def open_stream(url: str, call: str) -> StreamSide:
    """A media stream's socket, opened as Twilio opens it (the token comes with start)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    _, side = await loop.create_connection(
        lambda: StreamSide(f"{host}:{port}", parts.path or "/", call, "MZ" + call[2:]), host, port
    )
    try:
        await asyncio.wait_for(side.opened, PATIENCE_SECONDS)
    except TimeoutError:
        side.abort()
        raise StreamTimeout(f"the stream at {url} did not open within {PATIENCE_SECONDS:g} s") from None
    return side


async def _answer(client: httpx.AsyncClient, url: str, call: str) -> tuple[str, str]:
    """Twilio's answer webhook of a new inbound call: the stream's URL and token."""
    form = inbound_form(call)
    signature = official_validator().compute_signature(url, form)
    response = await client.post(url, data=form, headers=form_headers(signature))
    check_answer(response, "<Connect>", "callflow serve")
    stream, token = _STREAM.search(response.text), _TOKEN.search(response.text)
    if stream is None or token is None:
        raise StreamError(f"an answer without a stream URL and token: {response.text[:300]!r}")
    return html.unescape(stream.group(1)), html.unescape(token.group(1))


async def _drive(server: Server, load: Load, core: int) -> Row:
    pacer = Pacer(caller_payloads())
    pacing = asyncio.create_task(pacer.run())
    sides: list[StreamSide] = []
    problems: list[str] = []
    stalled = None
    try:
        async with httpx.AsyncClient(timeout=PATIENCE_SECONDS) as client:

            async def call_in(number: int) -> None:
                call = call_sid(load.tag, 0, number)
                url, token = await _answer(client, server.base + WEBHOOK_PATH, call)
                side = await open_stream(url, call)
                side.start(token)
                sides.append(side)
                pacer.add(side)

            # A few at once: the server lets an address hold 4 sockets that have not started.
            for first in range(0, load.streams, OPENING_AT_ONCE):
                last = min(first + OPENING_AT_ONCE, load.streams)
                await asyncio.gather(*(call_in(number) for number in range(first, last)))
        await asyncio.sleep(load.warmup)
        for side in sides:
            side.counting = True
        before = snapshot(server, core)
        await asyncio.sleep(load.seconds)
        for side in sides:
            side.counting = False
        after = snapshot(server, core)
        memory = server.memory_mb()
    except (httpx.TimeoutException, StreamTimeout):
        # Not a fault: the server is past what it carries, and says so by answering late.
        stalled = f"opening stalled at {len(sides)}: an answer or a stream took over {PATIENCE_SECONDS:g} s"
        before = after = snapshot(server, core)
        memory = None
    except (StreamError, OSError, httpx.HTTPError) as error:
        problems.append(
            f"{type(error).__name__} with {len(sides)} streams open: {error}; the server said:\n"
            + server.log_tail()
        )
        before = after = snapshot(server, core)
        memory = None
    finally:
        for side in sides:
            side.stop()
        if sides:
            await asyncio.wait(
                [asyncio.ensure_future(side.closed) for side in sides], timeout=PATIENCE_SECONDS
            )
        for side in sides:
            side.abort()
        pacing.cancel()
    if server.process is not None and server.process.poll() is not None:
        problems.append(f"the server exited during the run:\n{server.log_tail()}")
    problems.extend(_complaints(server))
    for side in sides:
        problems.extend(side.problems)
    row = _row(load, sides, before, after, memory, problems)
    row.stalled = stalled
    return row


def _complaints(server: Server) -> list[str]:
    """What the server logged as wrong (warnings, errors), each message's first line."""
    try:
        lines = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [f"the server logged: {line}" for line in lines if re.search(r"WARNING|ERROR|CRITICAL", line)]


def _row(
    load: Load,
    sides: list[StreamSide],
    before: CpuSnapshot,
    after: CpuSnapshot,
    memory: float | None,
    problems: list[str],
) -> Row:
    seconds = after.at - before.at or load.seconds
    counts = [side.counts for side in sides]
    received = sum(count.received for count in counts)
    core_busy = None
    if None not in (before.core_busy, after.core_busy, before.core_total, after.core_total):
        total = after.core_total - before.core_total  # type: ignore[operator]
        core_busy = (after.core_busy - before.core_busy) / total if total else None  # type: ignore[operator]
    return Row(
        streams=load.streams,
        in_rate=Spread.of([count.sent / seconds for count in counts]),
        out_rate=Spread.of([count.received / seconds for count in counts]),
        handling_ms=[latency for count in counts for latency in count.handling_ms],
        late_share=sum(count.late for count in counts) / received if received else 0.0,
        server_cpu=_share(before.server, after.server, seconds),
        espeak_cpu=_share(before.children, after.children, seconds),
        core_busy=core_busy,
        load_cpu=(after.load - before.load) / seconds,
        server_mb=memory,
        problems=problems[:5],
        problem_count=len(problems) + sum(max(0, side.problem_count - len(side.problems)) for side in sides),
    )


def drive_streams(server: Server, load: Load, core: int) -> Row:
    """``load.streams`` calls streamed at once against ``server``, measured for ``load.seconds``."""
    return run_on_uvloop(_drive(server, load, core))
