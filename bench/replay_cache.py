"""Benchmark: what the webhook's replay cache holds per GB, and its cost per request.

    .venv/bin/python bench/replay_cache.py [--sizes 10000,100000,1000000] [--rate 6650]

Fills a ReplayCache with answers as the server keeps them: a WebhookAnswer holding the
document of an inbound call's first turn (examples/inbound-hotline.yaml: greeting and
menu in a TwiML <Gather>), each one unique by its call id and turn token, as real ones
are. For each size it prints:

- the memory the cache takes, measured with tracemalloc (keys, slices, answers), per
  entry; it should stay flat from small to large;
- what the cache counts per entry for its ``max_bytes`` bound (it must not be below the
  measured figure, or the bound would let it grow past its limit);
- the time of one ``answer_once`` for a new request, against a baseline of the same
  loop that only computes the key and stores the answer in a plain dict.

It ends with the entries one GB holds and how long a window that is at ``--rate``
requests a second (the default is the full-turn rate of bench/webhook_turn.py on the
machine the README's figures come from).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from pathlib import Path

from flows import load_flow
from runner.dialects import render
from runner.engine import FlowEngine, bind_inputs
from runner.server._guard import WebhookAnswer, answer_cache
from runner.server._replay import ReplayCache
from runner.types import Answered

FLOW = Path(__file__).resolve().parent.parent / "examples" / "inbound-hotline.yaml"
WEBHOOK = "https://calls.example.com/voice/webhook"
GB = 1 << 30


def first_document() -> tuple[str, str, str]:
    """The first answer of an inbound call, its call id and its turn token."""
    engine = FlowEngine(load_flow(FLOW))
    call = engine.new_call(
        call_id="call-0123456789abcdef01234567", variables=bind_inputs(engine.flow, {}), now=0
    )
    actions = engine.handle(call, Answered(id="CA0:answer", at=0.0))
    document = render("twilio", actions, webhook_url=WEBHOOK, call_id=call.id)
    assert call.turn_token is not None
    return document, call.id, call.turn_token


def answers(count: int) -> list[tuple[bytes, WebhookAnswer]]:
    """``count`` (key, answer) pairs, each document unique as a real call's is."""
    document, call_id, token = first_document()
    made = []
    for number in range(count):
        unique = document.replace(call_id, f"call-{number:024x}").replace(token, f"{number:012d}")
        signed = f"{WEBHOOK}CallSidCA{number:032x}Directioninbound".encode()
        made.append((ReplayCache.key(signed), WebhookAnswer(200, unique)))
    return made


def fill(cache: ReplayCache[WebhookAnswer], pairs: list[tuple[bytes, WebhookAnswer]]) -> float:
    """Seconds per new request."""

    async def go() -> float:
        started = time.perf_counter()
        for key, answer in pairs:
            await cache.answer_once(key, lambda answer=answer: _ready(answer))  # type: ignore[misc]
        return (time.perf_counter() - started) / len(pairs)

    return asyncio.run(go())


async def _ready(answer: WebhookAnswer) -> WebhookAnswer:
    return answer


def baseline(pairs: list[tuple[bytes, WebhookAnswer]]) -> float:
    """Seconds per request of the least a cache can do: a dict insert behind an await."""

    async def go() -> float:
        kept: dict[bytes, WebhookAnswer] = {}
        started = time.perf_counter()
        for key, answer in pairs:
            if key not in kept:
                kept[key] = await _ready(answer)
        return (time.perf_counter() - started) / len(pairs)

    return asyncio.run(go())


def measure(size: int) -> tuple[float, float, float, float]:
    """(measured bytes per entry, counted bytes per entry, µs per request, baseline µs)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pairs = answers(size)
    cache = answer_cache(max_bytes=1 << 40)
    fill(cache, pairs)
    # The pairs list holds the answers too: drop it, so what stays is what the cache holds.
    pairs_count = len(pairs)
    del pairs
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    measured = (after - before) / pairs_count
    counted = cache.size / len(cache)
    del cache
    timing_pairs = answers(min(size, 200_000))
    seconds = fill(answer_cache(), timing_pairs)
    base = baseline(timing_pairs)
    return measured, counted, seconds * 1e6, base * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="entries per row, comma-separated")
    parser.add_argument(
        "--rate", type=float, default=6650.0, help="requests a second, for the window a GB holds"
    )
    args = parser.parse_args()
    document, _, _ = first_document()
    print(f"answer: a TwiML document of {len(document)} characters, unique per call")
    columns = ("entries", "measured B/entry", "counted B/entry", "µs/request", "baseline µs")
    print(" ".join(f"{name:>{width}}" for name, width in zip(columns, (10, 17, 16, 11, 12), strict=True)))
    worst = 0.0
    for size in (int(text) for text in args.sizes.split(",")):
        measured, counted, micros, base = measure(size)
        worst = max(worst, measured, counted)
        print(f"{size:>10,} {measured:>17,.0f} {counted:>16,.0f} {micros:>11.2f} {base:>12.2f}")
    per_gb = GB / worst
    minutes = per_gb / args.rate / 60
    print(f"one GB holds {per_gb:,.0f} answers: {minutes:.1f} minutes at {args.rate:,.0f} requests/s")


if __name__ == "__main__":
    main()
