"""Deadlines: every call's deadline behind one timer, on a real event loop."""

from __future__ import annotations

import asyncio
import time

from runner.service._deadlines import Deadlines

RESOLUTION = 0.02


def test_keys_come_due_at_their_time_in_order_and_not_before() -> None:
    async def run() -> list[tuple[str, float]]:
        due: list[tuple[str, float]] = []
        deadlines = Deadlines(lambda key: due.append((key, time.time())), time.time, RESOLUTION)
        start = time.time()
        deadlines.set("late", start + 0.2)
        deadlines.set("early", start + 0.1)
        deadlines.set("early-too", start + 0.1)
        await asyncio.sleep(0.05)
        assert due == []
        await asyncio.sleep(0.3)
        assert len(deadlines) == 0
        return [(key, at - start) for key, at in due]

    due = asyncio.run(run())
    assert [key for key, _ in due] == ["early", "early-too", "late"]
    assert [at >= when for (_, at), when in zip(due, [0.1, 0.1, 0.2], strict=True)] == [True] * 3


def test_a_cancelled_key_never_comes_due_and_setting_again_moves_it() -> None:
    async def run() -> list[str]:
        due: list[str] = []
        deadlines = Deadlines(due.append, time.time, RESOLUTION)
        now = time.time()
        deadlines.set("ended", now + 0.05)
        deadlines.set("moved", now + 0.05)
        deadlines.cancel("ended")
        deadlines.cancel("never-set")
        deadlines.set("moved", now + 0.15)
        await asyncio.sleep(0.1)
        assert due == []
        await asyncio.sleep(0.15)
        return due

    assert asyncio.run(run()) == ["moved"]


def test_a_deadline_already_past_comes_due_at_once_and_close_forgets_the_rest() -> None:
    async def run() -> list[str]:
        due: list[str] = []
        deadlines = Deadlines(due.append, time.time, RESOLUTION)
        deadlines.set("past", time.time() - 5)
        deadlines.set("later", time.time() + 0.1)
        await asyncio.sleep(0.03)
        deadlines.close()
        await asyncio.sleep(0.15)
        return due

    assert asyncio.run(run()) == ["past"]
