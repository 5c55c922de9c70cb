"""The replay cache: each delivery answered once, bounded by time and by memory."""

from __future__ import annotations

import asyncio
import logging

import pytest

from runner.server._replay import ENTRY_BYTES, ReplayCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _kept_as_is(answer: str) -> None:
    return None


def _cache(clock: Clock, *, window: float = 600, max_bytes: int = 1 << 30) -> ReplayCache[str]:
    """Answers kept as they are: what each costs is easy to tell."""
    return ReplayCache(_kept_as_is, bytes.decode, len, clock=clock, window=window, max_bytes=max_bytes)


class Handler:
    """Answers with its name and the number of times it ran."""

    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self) -> str:
        self.runs += 1
        return f"answer {self.runs}"


def test_a_second_delivery_gets_the_first_answer_without_running_the_handler() -> None:
    cache, handler = _cache(Clock()), Handler()

    async def go() -> list[tuple[str, bool]]:
        key = ReplayCache.key(b"signed text")
        return [await cache.answer_once(key, handler) for _ in range(3)]

    assert asyncio.run(go()) == [("answer 1", False), ("answer 1", True), ("answer 1", True)]
    assert handler.runs == 1


def test_a_copy_that_arrives_while_the_first_is_answered_waits_for_its_answer() -> None:
    cache = _cache(Clock())
    release = asyncio.Event()
    runs = 0

    async def slow() -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        return "the one answer"

    async def go() -> list[tuple[str, bool]]:
        key = ReplayCache.key(b"signed text")
        first = asyncio.create_task(cache.answer_once(key, slow))
        copy = asyncio.create_task(cache.answer_once(key, slow))
        await asyncio.sleep(0.01)
        release.set()
        return [await first, await copy]

    assert asyncio.run(go()) == [("the one answer", False), ("the one answer", True)]
    assert runs == 1


def test_an_answer_that_failed_is_not_remembered() -> None:
    cache, handler = _cache(Clock()), Handler()

    async def failing() -> str:
        raise OSError("the store is gone")

    async def go() -> tuple[str, bool]:
        key = ReplayCache.key(b"signed text")
        with pytest.raises(OSError, match="the store is gone"):
            await cache.answer_once(key, failing)
        return await cache.answer_once(key, handler)

    assert asyncio.run(go()) == ("answer 1", False)
    assert len(cache) == 1


def test_answers_are_kept_for_the_window_and_then_forgotten() -> None:
    clock, handler = Clock(), Handler()
    cache = _cache(clock, window=600)
    key = ReplayCache.key(b"signed text")

    async def ask_at(now: float) -> bool:
        clock.now = now
        return (await cache.answer_once(key, handler))[1]

    assert asyncio.run(ask_at(0)) is False
    assert asyncio.run(ask_at(600)) is True
    # Kept at least the window; gone once the slice it is in is a window old.
    assert asyncio.run(ask_at(661)) is False
    assert (handler.runs, len(cache)) == (2, 1)


def test_past_its_memory_the_cache_forgets_the_oldest_answers_first(caplog: pytest.LogCaptureFixture) -> None:
    clock, handler = Clock(), Handler()
    entry = ENTRY_BYTES + len("answer 1")
    # Room for four answers; one answer a minute, so each is in a slice of its own.
    cache = _cache(clock, window=600, max_bytes=4 * entry)

    async def ask(text: bytes, now: float) -> bool:
        clock.now = now
        return (await cache.answer_once(ReplayCache.key(text), handler))[1]

    for minute in range(5):
        asyncio.run(ask(f"request {minute}".encode(), minute * 60))
    assert (len(cache), cache.size, cache.forgotten_early) == (4, 4 * entry, 1)
    assert cache.held_seconds == 180
    assert "the replay cache is over 0 MB: it now holds 180 s of requests, not 600" in caplog.text
    assert asyncio.run(ask(b"request 1", 240)) is True
    assert asyncio.run(ask(b"request 0", 240)) is False
    assert caplog.records[0].levelno == logging.WARNING


def test_answers_are_kept_deflated_and_come_back_whole() -> None:
    clock = Clock()
    cache = ReplayCache(str.encode, bytes.decode, len, clock=clock)
    documents = [
        f"<Response><Say>Hello caller {number}, press 1.</Say></Response>" * 8 for number in range(8)
    ]

    async def go(now: float) -> list[tuple[str, bool]]:
        clock.now = now
        got = []
        for number, document in enumerate(documents):

            async def produce(document: str = document) -> str:
                return document

            got.append(await cache.answer_once(ReplayCache.key(f"{now} {number}".encode()), produce))
        return got + [
            await cache.answer_once(ReplayCache.key(f"{now} {number}".encode()), _never)
            for number in range(len(documents))
        ]

    first, later = asyncio.run(go(0)), asyncio.run(go(120))
    expected = [(document, False) for document in documents] + [(document, True) for document in documents]
    assert first == later == expected
    # The second slice is deflated with the first's answers as its dictionary.
    assert cache.size < len(cache) * (ENTRY_BYTES + 40)


async def _never() -> str:
    raise AssertionError("a remembered answer is never made again")


def test_the_key_is_the_signed_text_only() -> None:
    assert ReplayCache.key(b"a") == ReplayCache.key(b"a")
    assert ReplayCache.key(b"a") != ReplayCache.key(b"b")
    assert len(ReplayCache.key(b"a" * 10_000)) == 16
