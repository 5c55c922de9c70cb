"""One run of a campaign: dial its recipients at the pace asked, retry, settle, stop.

``CampaignRun`` asks a ``Dispatcher`` what to dial, claims each recipient for a fresh
call id before the call is placed (so a crash after the claim leaves a trace, never a
second call), waits for the call's end and reports its outcome. Time is read and waited
for through an injected ``Clock``, so tests drive the pace and the retries' delays
without waiting; the calls themselves run in real time on the ``CallService``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from runner.campaigns._dispatcher import Dispatcher
from runner.campaigns._pacing import Pace
from runner.campaigns._retries import RetryPolicy, call_duration, outcome_of
from runner.campaigns._window import QuietHours
from runner.engine import InputError
from runner.providers import ProviderError
from runner.service import CallService, ShuttingDownError, TooManyCallsError, UnknownCallError
from runner.store import Outcome, RecipientState
from runner.types import CallRecord

logger = logging.getLogger("callflow.campaigns")

#: How long past the service's max_duration a call may take to end: its ringing time,
#: which max_duration does not count, and the carrier's last status callback.
END_ALLOWANCE_SECONDS = 120.0
#: How often a campaign blocked only by other callers' calls looks for a free line again.
CAPACITY_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Clock:
    """What a campaign reads the time with and waits with (``time.time`` and
    ``asyncio.sleep`` unless a test drives them)."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(frozen=True)
class RunOptions:
    """How a campaign dials: ``cps`` None and ``concurrency`` None mean no limit of
    their own (the service's ``max_concurrent_calls`` still holds)."""

    cps: int | None = 1
    concurrency: int | None = 10
    max_attempts: int = 3
    retry_base_delay: float = 60.0
    seed: int | None = None
    #: The calling window in the recipients' local time; None calls at any hour.
    quiet_hours: QuietHours | None = None


@dataclass
class RunSummary:
    """What one run did: final outcomes reached in it, calls placed, retries scheduled,
    and recipients left at dialing whose call's end it could not learn."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    calls_placed: int = 0
    retries: int = 0
    unsettled: int = 0
    cancelled: bool = False


class CampaignRun:
    """Dials the recipients a ``Dispatcher`` hands out, as calls of ``flow``."""

    def __init__(
        self,
        service: CallService,
        dispatcher: Dispatcher,
        flow: str,
        options: RunOptions | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.service = service
        self.dispatcher = dispatcher
        self.flow = flow
        self.options = options = options or RunOptions()
        if options.concurrency is not None and options.concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, not {options.concurrency}")
        self.clock = clock or Clock()
        self.summary = RunSummary()
        #: Told of each call placed, and of each outcome reported (final, or a retry):
        #: the server's metrics count them.
        self.on_placed: Callable[[], None] = lambda: None
        self.on_reported: Callable[[Outcome, bool], None] = lambda outcome, final: None
        self._pace = Pace(options.cps)
        self._retries = RetryPolicy(options.max_attempts, options.retry_base_delay, options.seed)
        self._calls: set[asyncio.Task[None]] = set()
        # Calls claimed whose place_call has not returned: the service does not count them yet.
        self._placing = 0
        self._cancelled = asyncio.Event()
        # A call's task that raised what it should not have (an unknown flow): raised by run().
        self._error: BaseException | None = None

    def cancel(self) -> None:
        """Stop dialing; the calls in flight finish and are reported."""
        self._cancelled.set()

    async def run(self) -> RunSummary:
        """Settle what a crashed run left, dial until nothing is left or the run is
        cancelled, and wait for the calls in flight."""
        try:
            await self._settle_unsettled()
            await self._dial()
        finally:
            if self._calls:
                await asyncio.wait(self._calls)
        if self._error is not None:
            raise self._error
        self.summary.cancelled = self._cancelled.is_set()
        return self.summary

    # -- dialing -----------------------------------------------------------------------

    async def _dial(self) -> None:
        while not self._cancelled.is_set() and self._error is None:
            now = self.clock.now()
            lines = self._free_lines()
            if lines == 0:
                await self._wait(CAPACITY_POLL_SECONDS if not self._calls else None)
                continue
            start_at = self._pace.next_start_at(now)
            if start_at > now:
                await self._wait(start_at - now)
                continue
            room = self._pace.room(now)
            limit = lines if room is None else min(lines, room)
            due = await self.dispatcher.due(now, limit)
            claimed = deferred = 0
            for recipient in due:
                if self._cancelled.is_set():
                    break
                if await self._outside_window(recipient, now):
                    deferred += 1
                    continue
                claimed += await self._start(recipient, now)
            if claimed or deferred:
                continue
            if due:
                if not await self.dispatcher.is_running():
                    self._cancelled.set()
                else:
                    # Other workers took what was due: look again when a line frees up.
                    await self._wait(CAPACITY_POLL_SECONDS if not self._calls else None)
                continue
            retry_at = await self.dispatcher.next_due_at()
            if retry_at is None and not self._calls:
                # A recipient still at dialing (a call whose end never came) is the next
                # run's to settle: the campaign is not done while one is left.
                if not await self.dispatcher.unsettled():
                    await self.dispatcher.finish(self.clock.now())
                return
            await self._wait(None if retry_at is None else max(retry_at - now, 0.0))

    def _free_lines(self) -> int:
        """How many more calls this campaign may have in flight now."""
        service = self.service
        free = service.settings.max_concurrent_calls - service.calls_in_flight - self._placing
        if self.options.concurrency is not None:
            free = min(free, self.options.concurrency - len(self._calls))
        return max(free, 0)

    async def _outside_window(self, recipient: RecipientState, now: float) -> bool:
        """Whether the recipient is outside their calling window now: then they wait
        for it to open (in the store: a later run knows it too)."""
        quiet_hours = self.options.quiet_hours
        if quiet_hours is None:
            return False
        opens = quiet_hours.opens(now, recipient.number, recipient.time_zone)
        if opens <= now:
            return False
        await self.dispatcher.defer(recipient.line, opens)
        return True

    async def _start(self, recipient: RecipientState, now: float) -> int:
        """Claim the recipient and place its call in the background: 1, or 0 when the
        claim was refused."""
        call_id = self.service.new_call_id()
        if not await self.dispatcher.claim(recipient.line, call_id, now):
            return 0
        self._pace.started(now)
        self._placing += 1
        self._track(self._call(recipient, call_id, recipient.attempts + 1))
        return 1

    async def _call(self, recipient: RecipientState, call_id: str, attempt: int) -> None:
        variables = {name: str(value) for name, value in recipient.values.items()}
        try:
            await self.service.place_call(self.flow, variables, to=recipient.number, call_id=call_id)
        except InputError as error:
            # The check let through a row the flow refuses: no call was placed.
            logger.warning("line %d: not dialled: %s", recipient.line, error)
            await self._report(recipient.line, call_id, attempt, "invalid", final=True)
            return
        except ProviderError as error:
            logger.info("line %d: the carrier refused call %s: %s", recipient.line, call_id, error)
            await self._report(recipient.line, call_id, attempt, "failed")
            return
        except TooManyCallsError:
            # Other callers took the last lines since we counted them: nothing was placed.
            await self._put_back(recipient.line, call_id)
            return
        finally:
            self._placing -= 1
        self.summary.calls_placed += 1
        self.on_placed()
        await self._settle(recipient.line, call_id, attempt)

    async def _settle(self, line: int, call_id: str, attempt: int) -> None:
        """Wait for the call's end and report it; leave the recipient at dialing when the
        end does not come (the next run settles it)."""
        record = await self._wait_ended(call_id)
        if record is None:
            self.summary.unsettled += 1
            return
        await self._report(
            line,
            call_id,
            attempt,
            outcome_of(record),
            answered_by=record.answered_by,
            duration=call_duration(record),
        )

    async def _wait_ended(self, call_id: str) -> CallRecord | None:
        timeout = self.service.settings.max_duration_seconds + END_ALLOWANCE_SECONDS
        try:
            record = await self.service.wait_ended(call_id, timeout)
        except ShuttingDownError:
            self._cancelled.set()
            return None
        if record.end_reason is None:
            logger.warning("call %s has not ended after %.0f s; left to the next run", call_id, timeout)
            return None
        return record

    async def _report(
        self,
        line: int,
        call_id: str,
        attempt: int,
        outcome: Outcome,
        *,
        final: bool = False,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> None:
        now = self.clock.now()
        retry_at = None if final else self._retries.retry_at(outcome, attempt, now)
        reported = await self.dispatcher.report(
            line, call_id, outcome, retry_at=retry_at, answered_by=answered_by, duration=duration
        )
        if not reported:
            logger.warning("line %d: outcome of call %s not taken (claimed again since?)", line, call_id)
        elif retry_at is None:
            self.summary.outcomes[outcome] += 1
            self.on_reported(outcome, True)
        else:
            self.summary.retries += 1
            self.on_reported(outcome, False)

    # -- what a crashed run left ------------------------------------------------------

    async def _settle_unsettled(self) -> None:
        """Learn what became of every call claimed and never reported.

        A call with a record ended is reported; one still in flight is waited for. A
        claim with no record means the run stopped between the claim and the call (the
        service saves the record before it dials): that recipient is put back, due now.
        """
        for recipient in await self.dispatcher.unsettled():
            if not recipient.call_ids:
                continue
            call_id = recipient.call_ids[-1]
            try:
                self.service.record(call_id)
            except UnknownCallError:
                await self._put_back(recipient.line, call_id)
                continue
            self._track(self._settle(recipient.line, call_id, recipient.attempts))

    async def _put_back(self, line: int, call_id: str) -> None:
        """Make a recipient claimed for a call that was never placed due again at once,
        its claim's attempt not counted."""
        await self.dispatcher.release(line, call_id, self.clock.now())

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._calls.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._calls.discard(task)
        if not task.cancelled() and task.exception() is not None and self._error is None:
            self._error = task.exception()

    # -- waiting -----------------------------------------------------------------------

    async def _wait(self, seconds: float | None) -> None:
        """Wait ``seconds`` on the clock (None: no limit), a call of ours to end, or the
        run to be cancelled, whichever comes first."""
        waits: set[asyncio.Future[Any]] = set(self._calls)
        cancelled = asyncio.ensure_future(self._cancelled.wait())
        waits.add(cancelled)
        timer = None if seconds is None else asyncio.ensure_future(self.clock.sleep(seconds))
        if timer is not None:
            waits.add(timer)
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for helper in (cancelled, timer):
                if helper is not None and not helper.done():
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await helper
