"""A campaign run on the mock carrier behind a real server, its state in a real SQLite store.

Time as the campaign sees it (its pace, its retries' delays) is a ``FakeClock`` the tests
drive; the calls themselves run for real over the webhook.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runner.campaigns import CampaignRun, Clock, RunOptions, RunSummary, StoreDispatcher
from runner.providers import OutboundCall, ProviderAPIError
from runner.providers.mock import MockProvider
from runner.providers.mock_outcomes import MockOutcomes
from runner.service import CallService
from runner.store import Campaign, CampaignStore, NewRecipient, Outcome, RecipientState, open_store
from tests.runner.server.harness import SIGNING_KEY, Running, running_server

FLOW = "outage-notice"
NAME = "outage"
T0 = 1_000_000.0


class FakeClock:
    """The campaign's time: it moves only when the campaign sleeps, and at once."""

    def __init__(self) -> None:
        self.time = T0

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.time += seconds
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(self.now, self.sleep)


@dataclass
class Report:
    #: The campaign's time when the outcome was reported.
    at: float
    line: int
    call_id: str
    outcome: Outcome
    retry_at: float | None


class RecordingDispatcher(StoreDispatcher):
    """The store's dispatcher, noting every claim (with the campaign's time) and report."""

    def __init__(self, store: CampaignStore, campaign: str, now: Callable[[], float]) -> None:
        super().__init__(store, campaign)
        self.now = now
        self.claims: list[tuple[int, str, float]] = []
        self.reports: list[Report] = []
        self.on_claim: Callable[[int], None] = lambda claims: None

    async def claim(self, line: int, call_id: str, now: float) -> bool:
        claimed = await super().claim(line, call_id, now)
        if claimed:
            self.claims.append((line, call_id, now))
            self.on_claim(len(self.claims))
        return claimed

    async def report(
        self,
        line: int,
        call_id: str,
        outcome: Outcome,
        *,
        retry_at: float | None = None,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> bool:
        self.reports.append(Report(self.now(), line, call_id, outcome, retry_at))
        return await super().report(
            line, call_id, outcome, retry_at=retry_at, answered_by=answered_by, duration=duration
        )


@dataclass
class Outcomes:
    """What a run did, as the campaign, the service and the carrier saw it."""

    summary: RunSummary
    dispatcher: RecordingDispatcher
    recipients: list[RecipientState]
    state: str
    #: Every call the mock carrier was asked to dial, by number.
    dialled: Counter[str] = field(default_factory=Counter)


def numbers(count: int) -> list[NewRecipient]:
    rows = []
    for index in range(count):
        number = f"+1415555{index:04d}"
        rows.append(
            NewRecipient(line=index + 2, number=number, values={"name": f"R{index}", "phone": number})
        )
    return rows


def campaign() -> Campaign:
    return Campaign(
        name=NAME,
        flow=FLOW,
        flow_path="examples/outage-notice.yaml",
        recipients_path="street.csv",
        recipients_sha256="0" * 64,
        options={},
        state="running",
        created_at=T0,
        updated_at=T0,
    )


def run_campaign(
    server: Running,
    data_dir: Path,
    options: RunOptions,
    *,
    recipients: int = 20,
    clock: FakeClock | None = None,
    before: Callable[[CampaignStore, CallService], object] | None = None,
    cancel_at_claim: int | None = None,
) -> Outcomes:
    """Create the campaign, run it on the server's loop (where the service lives), and
    collect what it did. ``before`` may prepare the store as a crashed run left it."""
    clock = clock or FakeClock()

    async def go() -> Outcomes:
        with open_store(data_dir) as store:
            store.create_campaign(campaign(), numbers(recipients))
            if before is not None:
                result = before(store, server.service)
                if asyncio.iscoroutine(result):
                    await result
            dispatcher = RecordingDispatcher(store, NAME, clock.now)
            run = CampaignRun(server.service, dispatcher, FLOW, options, clock.clock())
            if cancel_at_claim is not None:
                dispatcher.on_claim = lambda claims: run.cancel() if claims == cancel_at_claim else None
            summary = await run.run()
            dialled = Counter(call.outbound.to for call in server.provider.calls.values())
            state = store.campaign(NAME)
            assert state is not None
            return Outcomes(summary, dispatcher, list(store.recipients(NAME)), state.state, dialled)

    result: Outcomes = server.run(go())
    return result


def in_flight_at_most(server: Running, call_ids: list[str]) -> int:
    """The most calls in flight at once, from the records' creation and end times."""

    async def records() -> list[tuple[float, int]]:
        events = []
        for call_id in call_ids:
            record = server.service.record(call_id)
            assert record.ended_at is not None
            events += [(record.created_at, 1), (record.ended_at, -1)]
        return events

    events: list[tuple[float, int]] = server.run(records())
    most = current = 0
    # An end and a start at the same instant: the end first, the line is free.
    for _, change in sorted(events):
        current += change
        most = max(most, current)
    return most


def test_every_recipient_answered_is_called_once_and_completed(data_dir: Path) -> None:
    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(cps=None, concurrency=5))
    assert outcomes.summary.outcomes == {"completed": 20}
    assert outcomes.summary.calls_placed == 20
    assert outcomes.dialled == Counter({recipient.number: 1 for recipient in numbers(20)})
    assert {(r.status, r.outcome, r.attempts) for r in outcomes.recipients} == {("done", "completed", 1)}
    assert outcomes.state == "done"


def test_a_busy_line_is_tried_max_attempts_times_with_growing_delays(data_dir: Path) -> None:
    busy = MockProvider(auth_token=SIGNING_KEY, outcomes=MockOutcomes.parse("busy=1", seed=7))
    options = RunOptions(cps=None, concurrency=5, max_attempts=3, retry_base_delay=10.0, seed=3)
    with running_server(data_dir, flows=[FLOW], provider=busy) as server:
        outcomes = run_campaign(server, data_dir, options, recipients=4)
    assert outcomes.summary.outcomes == {"busy": 4}
    assert outcomes.summary.retries == 8
    assert outcomes.dialled == Counter({recipient.number: 3 for recipient in numbers(4)})
    assert {(r.status, r.outcome, r.attempts) for r in outcomes.recipients} == {("done", "busy", 3)}
    for line in range(2, 6):
        reports = [report for report in outcomes.dispatcher.reports if report.line == line]
        delays = [report.retry_at - report.at for report in reports if report.retry_at]
        assert len(delays) == 2
        # base * 2**(attempt-1), lengthened by up to half by the jitter.
        assert 10.0 <= delays[0] < 15.0 <= 20.0 <= delays[1] < 30.0
        assert reports[-1].retry_at is None
        # Each attempt is claimed no sooner than its retry was due.
        attempts = [at for claimed_line, _, at in outcomes.dispatcher.claims if claimed_line == line]
        retries_due = [report.retry_at for report in reports if report.retry_at]
        assert all(at >= due for at, due in zip(attempts[1:], retries_due, strict=True))


def test_no_more_than_cps_calls_start_in_any_one_second_window(data_dir: Path) -> None:
    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(cps=3, concurrency=20), recipients=10)
    starts = [at - T0 for _, _, at in outcomes.dispatcher.claims]
    assert starts == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    for start in starts:
        assert sum(start <= other < start + 1 for other in starts) <= 3
    assert outcomes.summary.outcomes == {"completed": 10}


def test_calls_in_flight_never_exceed_the_concurrency(data_dir: Path) -> None:
    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(cps=None, concurrency=2), recipients=12)
        call_ids = [call_id for _, call_id, _ in outcomes.dispatcher.claims]
        assert in_flight_at_most(server, call_ids) <= 2
    assert outcomes.summary.outcomes == {"completed": 12}


def test_calls_in_flight_never_exceed_the_services_limit(data_dir: Path) -> None:
    with running_server(data_dir, flows=[FLOW], max_concurrent_calls=3) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(cps=None, concurrency=None), recipients=12)
        call_ids = [call_id for _, call_id, _ in outcomes.dispatcher.claims]
        assert in_flight_at_most(server, call_ids) <= 3
    # Never refused for capacity: each recipient was called once.
    assert outcomes.summary.outcomes == {"completed": 12}
    assert outcomes.summary.calls_placed == 12


def test_a_resumed_run_settles_what_a_crashed_run_left_at_dialing(data_dir: Path) -> None:
    ended: list[str] = []
    in_flight: list[str] = []

    async def crashed_run(store: CampaignStore, service: CallService) -> None:
        # Line 2's call was placed and ended before the crash; line 3 was claimed and the
        # run died before its call was placed.
        first, second, third = numbers(3)
        placed = service.new_call_id()
        assert store.mark_dialing(NAME, first.line, placed, now=T0)
        await service.place_call(FLOW, dict(first.values), to=first.number, call_id=placed)
        record = await service.wait_ended(placed, timeout=20)
        assert record.end_reason is not None
        ended.append(placed)
        assert store.mark_dialing(NAME, second.line, service.new_call_id(), now=T0)
        # Line 4's call was placed and is still in flight.
        ringing = service.new_call_id()
        assert store.mark_dialing(NAME, third.line, ringing, now=T0)
        await service.place_call(FLOW, dict(third.values), to=third.number, call_id=ringing)
        in_flight.append(ringing)

    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(
            server, data_dir, RunOptions(cps=None, concurrency=3), recipients=4, before=crashed_run
        )
    assert outcomes.dialled == Counter({recipient.number: 1 for recipient in numbers(4)})
    by_line = {recipient.line: recipient for recipient in outcomes.recipients}
    assert by_line[2].outcome == "completed"
    assert by_line[2].call_ids == ended
    assert [
        (report.call_id, report.outcome, report.retry_at)
        for report in outcomes.dispatcher.reports
        if report.line == 2
    ] == [(ended[0], "completed", None)]
    assert {(r.status, r.outcome) for r in outcomes.recipients} == {("done", "completed")}
    # The claim that placed no call was given back: one call, one attempt.
    assert (len(by_line[3].call_ids), by_line[3].attempts) == (1, 1)
    assert by_line[4].call_ids == in_flight
    assert outcomes.summary.calls_placed == 2


def test_a_cancelled_run_places_no_new_call_and_lets_calls_in_flight_finish(data_dir: Path) -> None:
    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(
            server, data_dir, RunOptions(cps=None, concurrency=3), recipients=20, cancel_at_claim=2
        )
    assert outcomes.summary.cancelled
    # Cancelled during the second claim: the third recipient due with it is not claimed.
    claimed = len(outcomes.dispatcher.claims)
    assert claimed == 2
    assert sum(outcomes.dialled.values()) == claimed
    statuses = Counter((r.status, r.outcome) for r in outcomes.recipients)
    assert statuses == {("done", "completed"): claimed, ("pending", None): 20 - claimed}
    # Stopped, not finished: a later run resumes it.
    assert outcomes.state == "running"


MACHINE_FLOW = """\
version: 1
name: outage-notice
mode: notify
inputs:
  name: {type: string}
  phone: {type: phone}
to: "{{ phone }}"
machine: {detect: true, on_machine: hang_up}
greeting: "Hello {{ name }}. Power is back by 6 pm."
"""


def test_a_machine_that_answers_is_a_final_voicemail(data_dir: Path, tmp_path: Path) -> None:
    flow = tmp_path / "outage-notice.yaml"
    flow.write_text(MACHINE_FLOW, encoding="utf-8")
    machines = MockProvider(auth_token=SIGNING_KEY, outcomes=MockOutcomes.parse("machine=1", seed=1))
    with running_server(data_dir, flows=[flow], provider=machines) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(cps=None, concurrency=3), recipients=3)
    assert outcomes.summary.outcomes == {"voicemail": 3}
    assert outcomes.dialled == Counter({recipient.number: 1 for recipient in numbers(3)})
    assert {(r.status, r.outcome, r.answered_by) for r in outcomes.recipients} == {
        ("done", "voicemail", "machine")
    }


class RefusingCarrier(MockProvider):
    """A carrier whose API refuses every call."""

    async def place_call(self, call: OutboundCall) -> str:
        raise ProviderAPIError("mock", 403, "the account may not call this number")


def test_a_call_the_carrier_refuses_is_a_failed_attempt_and_retried(data_dir: Path) -> None:
    options = RunOptions(cps=None, concurrency=3, max_attempts=2, retry_base_delay=5.0, seed=1)
    with running_server(data_dir, flows=[FLOW], provider=RefusingCarrier(auth_token=SIGNING_KEY)) as server:
        outcomes = run_campaign(server, data_dir, options, recipients=3)
    assert outcomes.summary.outcomes == {"failed": 3}
    assert outcomes.summary.calls_placed == 0
    assert {(r.status, r.outcome, r.attempts) for r in outcomes.recipients} == {("done", "failed", 2)}


def test_a_campaign_cancelled_in_the_store_is_not_dialled(data_dir: Path) -> None:
    def cancelled_elsewhere(store: CampaignStore, service: CallService) -> None:
        store.set_campaign_state(NAME, "cancelled", now=T0)

    with running_server(data_dir, flows=[FLOW]) as server:
        outcomes = run_campaign(server, data_dir, RunOptions(), recipients=3, before=cancelled_elsewhere)
    assert outcomes.summary.cancelled
    assert outcomes.dialled == Counter()
    assert outcomes.state == "cancelled"
