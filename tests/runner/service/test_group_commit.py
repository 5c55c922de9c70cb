"""GroupCommit: saves of one turn of the event loop, written together, answered after."""

from __future__ import annotations

import asyncio
import logging

import pytest

from runner.service._group_commit import GroupCommit


class Writes:
    """What reached the writer, one list per write; fails when told to."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.fail: Exception | None = None

    def __call__(self, items: list[str]) -> None:
        if self.fail is not None:
            raise self.fail
        self.batches.append(items)


def test_saves_of_one_turn_are_one_write_of_each_keys_latest_item() -> None:
    async def run() -> list[list[str]]:
        writes = Writes()
        commit: GroupCommit[str] = GroupCommit(writes)
        commit.add("a", "a1")
        commit.add("b", "b1")
        commit.add("a", "a2")
        assert writes.batches == []  # nothing is written before the loop comes round
        await commit.committed()
        commit.add("c", "c1")
        await commit.committed()
        return writes.batches

    assert asyncio.run(run()) == [["a2", "b1"], ["c1"]]


def test_every_waiter_of_a_turn_returns_after_the_one_write() -> None:
    async def run() -> tuple[list[list[str]], list[int]]:
        writes = Writes()
        commit: GroupCommit[str] = GroupCommit(writes)
        written_when_answered: list[int] = []

        async def request(key: str) -> None:
            commit.add(key, key)
            await commit.committed()
            written_when_answered.append(len(writes.batches))

        await asyncio.gather(*(request(f"call-{n}") for n in range(5)))
        return writes.batches, written_when_answered

    batches, written_when_answered = asyncio.run(run())
    assert batches == [[f"call-{n}" for n in range(5)]]
    assert written_when_answered == [1] * 5


def test_flush_writes_at_once_for_a_read_that_must_see_the_saves() -> None:
    async def run() -> list[list[str]]:
        writes = Writes()
        commit: GroupCommit[str] = GroupCommit(writes)
        commit.add("a", "a1")
        commit.flush()
        first = list(writes.batches)
        await commit.committed()  # nothing left: returns at once
        commit.flush()  # nothing waiting: no empty write
        assert writes.batches == first
        return first

    assert asyncio.run(run()) == [["a1"]]


def test_a_failed_write_reaches_every_waiter_and_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> list[BaseException | None]:
        writes = Writes()
        writes.fail = OSError("disk full")
        commit: GroupCommit[str] = GroupCommit(writes)

        async def request(key: str) -> None:
            commit.add(key, key)
            await commit.committed()

        results = await asyncio.gather(request("a"), request("b"), return_exceptions=True)
        return [result if isinstance(result, BaseException) else None for result in results]

    with caplog.at_level(logging.ERROR, logger="callflow.service"):
        results = asyncio.run(run())
    assert [str(result) for result in results] == ["disk full", "disk full"]
    assert [record.getMessage() for record in caplog.records] == ["could not save 2 call(s): disk full"]


def test_a_cancelled_waiter_does_not_cancel_the_write_for_the_others() -> None:
    async def run() -> tuple[list[list[str]], bool]:
        writes = Writes()
        commit: GroupCommit[str] = GroupCommit(writes)

        async def request(key: str) -> None:
            commit.add(key, key)
            await commit.committed()

        impatient = asyncio.ensure_future(request("a"))
        patient = asyncio.ensure_future(request("b"))
        await asyncio.sleep(0)  # both have added and wait; the write has not run yet
        assert writes.batches == []
        impatient.cancel()
        await patient
        with pytest.raises(asyncio.CancelledError):
            await impatient
        return writes.batches, impatient.cancelled()

    assert asyncio.run(run()) == ([["a", "b"]], True)
