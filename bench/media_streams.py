"""Benchmark: how many media streams one core of `callflow serve` carries in real time.

    .venv/bin/python bench/media_streams.py [--streams 25,50,75,100,125,150,200] [--seconds 20]

Each row is a `callflow serve` of its own (one uvicorn worker), pinned to one core with
`taskset -c 0` (the espeak-ng processes it starts inherit the pin), with a streamed
flow that keeps the bot talking: a long `say` (about a minute of espeak-ng speech),
then a key-only gather of 0.1 s that loops back to it. No recognition: the config
names the recognizer `none` (it hears nothing), so what is measured is the media path
and speech synthesis, not Whisper (bench/recognizer_rtf.py measures that).

This process is Twilio, pinned to the other cores: for each call it posts the signed
answer webhook of an inbound call, takes the stream URL and token from the answer's
`<Connect><Stream>`, opens the socket and streams the caller (espeak-ng's voice, then
silence, over and over) at 50 frames a second, echoing each mark once the audio before
it has played (bench/media_side.py). Once every stream is open and a warm-up has
passed, the measured window starts. Per row:

- frames/s in and out per call (mean and the slowest call): in, what the server took
  (frames due while flow control paused the socket are not sent); out, what reached
  the caller, the short pause between one `say` and the next included;
- handling p50 / p99: every fifth frame in is followed by a WebSocket ping, and the time
  to its pong is how long the server took to get to that frame (its event loop answers
  a ping as it reads it, behind every frame before it), plus the loopback round trip
  and this process's own delay;
- late out: the share of frames out that reached the caller after the audio before
  them had played (a gap heard), from the arrival of each utterance's first frame;
- CPU as a share of one core: the server's Python process, its espeak-ng processes,
  the whole of the server's core (with whatever else the shared machine ran there),
  and this load generator.

A row is in real time when every call took and got at least 48 frames a second (the
pause between two says costs under 1 %) and under 0.1 % of the frames out came late;
the aim is p99 handling under 20 ms. A row past what the server carries may stall
while its streams open (an answer or a stream takes over 10 s): it says so, and that is
a finding, not an error. Any problem (a stream refused or closed, a frame not as
Twilio's, a warning in the server's log) makes the exit code 1. Needs the twilio
package (`pip install -e '.[bench]'`), espeak-ng and taskset.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from carrier_requests import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER
from media_load import WEBHOOK_PATH, Load, Row, drive_streams
from server_process import BenchError, Server, free_port, running

#: About a minute of espeak-ng speech: the bot talks all the time, its utterances long.
SPEECH = " ".join(
    [
        "Thank you for calling the clinic. Your call matters to us, and this message goes on for",
        "about a minute, so that the line carries speech the whole time it is measured.",
        "Our opening hours are from eight in the morning to six in the evening, Monday to Friday,",
        "and from nine to one on Saturdays. To confirm an appointment, say confirm, or press one.",
        "To cancel an appointment, say cancel, or press two. To move an appointment to another",
        "day, say move, or press three, and we will find the first free time that suits you.",
        "If you are calling about a prescription, please have the name of the medicine and the",
        "date of your last visit at hand. If you are calling about a bill, please have its number",
        "ready. For anything else, stay on the line, and the next person free will take your",
        "call. Calls may be recorded so that we can train our staff and improve our service.",
        "Thank you for your patience. We will be with you as soon as we can. Thank you again",
        "for calling the clinic, and have a good day.",
    ]
)
FLOW = f"""\
version: 1
name: media-streams
mode: conversation
audio: streaming
greeting: "Hello."
steps:
  talk:
    say: "{SPEECH}"
    gather: {{input: [dtmf], timeout: 0.1, retries: 0}}
    on: {{any: talk, no_input: talk}}
"""
#: Rows, as numbers of streams at once; --quick runs tiny ones.
DEFAULT_STREAMS = (25, 50, 75, 100, 125, 150, 200)
QUICK_STREAMS = (2, 4)
#: Real time: each call takes and gets at least this many frames a second...
MIN_FRAMES_PER_SECOND = 48.0
#: ... and at most this share of the frames out reach the caller late.
MAX_LATE_SHARE = 0.001
#: The aim of the issue, for the handling p99.
AIM_P99_MS = 20.0


def _config(folder: Path, port: int) -> Path:
    flow = folder / "media-streams.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    config = folder / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            provider: twilio
            from_number: "{OUR_NUMBER}"
            # No REST call is expected; one would go to a closed port on this machine.
            twilio: {{account_sid: {ACCOUNT_SID}, auth_token: {AUTH_TOKEN}, api_base: "http://127.0.0.1:9"}}
            public_url: http://127.0.0.1:{port}
            serve: {{bind: 127.0.0.1, port: {port}, path: {WEBHOOK_PATH}}}
            inbound: {{policy: open, flow: "{flow}"}}
            audio: {{stt: {{engine: none}}}}
            max_concurrent_calls: 10000
            webhook_security: {{max_in_flight_per_address: 64}}
            data_dir: "{folder / "data"}"
            """
        ),
        encoding="utf-8",
    )
    return config


@dataclass(frozen=True)
class Cores:
    """The server's core, and the load's (the others; the same one on a one-core machine)."""

    server: int
    load: set[int]

    @classmethod
    def available(cls) -> Cores:
        cores = sorted(os.sched_getaffinity(0))
        return cls(cores[0], set(cores[1:]) or {cores[0]})


def measure(folder: Path, load: Load, cores: Cores) -> Row:
    port = free_port()
    config = _config(folder, port)
    script = Path(sys.executable).with_name("callflow")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from runner.cli import run; run()"]
    )
    argv = ["taskset", "-c", str(cores.server), *command, "serve", "--config", str(config)]
    argv.append("--allow-private-url")
    server = Server(f"callflow serve ({load.streams} streams)", argv, port, "/healthz", folder / "serve.out")
    with running(server):
        row = drive_streams(server, load, cores.server)
    if row.problems and not row.problem_count:
        row.problem_count = len(row.problems)
    return row


def _fmt(value: float | None, pattern: str) -> str:
    return "?" if value is None else format(value, pattern)


def report(rows: list[Row], cores: Cores, seconds: float, warmup: float, argv: list[str]) -> bool:
    """Print the table; whether the run is clean."""
    print(
        f"media streams through callflow serve: one uvicorn worker pinned to core {cores.server}, "
        f"the load on core(s) {','.join(map(str, sorted(cores.load)))}; {seconds:g} s measured "
        f"after every stream is open and {warmup:g} s of warm-up"
    )
    print(f"  command: {' '.join([sys.executable, str(Path(__file__)), *argv])}")
    print()
    print(
        "| streams | in frames/s per call (mean / min) | out frames/s per call (mean / min) "
        "| handling p50 / p99 ms | late out | server CPU | espeak-ng CPU | server core busy | load CPU "
        "| server MB | real time |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(
            f"| {row.streams} | {row.in_rate.mean:.1f} / {row.in_rate.least:.1f} "
            f"| {row.out_rate.mean:.1f} / {row.out_rate.least:.1f} "
            f"| {row.handling(0.5):.2f} / {row.handling(0.99):.2f} | {row.late_share:.2%} "
            f"| {_fmt(row.server_cpu, '.0%')} | {_fmt(row.espeak_cpu, '.0%')} | {_fmt(row.core_busy, '.0%')} "
            f"| {row.load_cpu:.0%} | {_fmt(row.server_mb, '.0f')} | {_verdict(row)} |"
        )
    print()
    print("(handling: the time from a frame in to the pong of a ping sent right behind it; late out:")
    print(" frames out that reached the caller after the audio before them had played)")
    carried = [row.streams for row in rows if real_time(row) and row.handling(0.99) < AIM_P99_MS]
    if carried:
        print(
            f"largest number of streams in real time with handling p99 under {AIM_P99_MS:g} ms: "
            f"{max(carried)} (aim: 200)"
        )
    else:
        print(f"no row was in real time with handling p99 under {AIM_P99_MS:g} ms (aim: 200)")
    busy = [row for row in rows if row.load_cpu > 0.8]
    if busy:
        print(f"the load used over 80 % of a core in the rows of {', '.join(str(r.streams) for r in busy)}")
        print(" streams: there the figures may be the load generator's, not the server's")
    failed = [row for row in rows if row.problems]
    for row in failed:
        for problem in row.problems:
            print(f"ERROR with {row.streams} streams: {problem} ({row.problem_count} problems in all)")
    if failed:
        print("This run had errors: its figures are not for the README.")
    elif seconds < 10:
        print(f"A {seconds:g} s run is a smoke test: the README takes a default run's figures.")
    return not failed


def _verdict(row: Row) -> str:
    if row.stalled:
        return f"no: {row.stalled}"
    return "yes" if real_time(row) else "no"


def real_time(row: Row) -> bool:
    return (
        row.stalled is None
        and min(row.in_rate.least, row.out_rate.least) >= MIN_FRAMES_PER_SECOND
        and row.late_share <= MAX_LATE_SHARE
    )


def _streams(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, found {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"every row needs at least 1 stream, found {text!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--streams",
        type=_streams,
        default=list(DEFAULT_STREAMS),
        help="streams at once, a row each (default 25,50,75,100,125,150,200)",
    )
    parser.add_argument("--seconds", type=float, default=20, help="each measured window (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up once all are open (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 and 4 streams, 2 s each: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.streams, args.seconds, args.warmup = list(QUICK_STREAMS), 2.0, 1.0
    if args.seconds <= 0 or args.warmup < 0:
        parser.error("--seconds takes a positive number and --warmup one of 0 or more")
    for needed, why in (("taskset", "pins the server to one core"), ("espeak-ng", "speaks for the bot")):
        if shutil.which(needed) is None:
            print(f"media_streams: error: {needed} is missing: it {why}", file=sys.stderr)
            return 1
    if importlib.util.find_spec("twilio") is None:
        pip = Path(sys.executable).parent / "pip"
        print(f"media_streams: error: the load signs with the twilio package: {pip} install -e '.[bench]'")
        return 1
    cores = Cores.available()
    os.sched_setaffinity(0, cores.load)
    # A SIGTERM (a CI time-out, say) unwinds like Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    rows: list[Row] = []
    failure = None
    try:
        with tempfile.TemporaryDirectory(prefix="media-streams-") as folder:
            for streams in args.streams:
                row_folder = Path(folder) / f"streams-{streams}"
                row_folder.mkdir()
                load = Load(streams, args.seconds, args.warmup, tag=len(rows) + 31)
                rows.append(measure(row_folder, load, cores))
    except BenchError as error:
        # The rows measured so far are still shown.
        failure = f"media_streams: error: {error}"
    except KeyboardInterrupt:
        print("media_streams: interrupted; the servers are stopped", file=sys.stderr)
        return 130
    shown = sys.argv[1:] if argv is None else argv
    clean = report(rows, cores, args.seconds, args.warmup, shown) if rows else True
    if failure is not None:
        print(failure, file=sys.stderr)
    return 0 if clean and failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
