"""Quiet hours in a campaign run, with a frozen clock: a recipient outside their calling
window in their own local time waits for it, in the store, and is called once it opens;
the others are called meanwhile. The calls run for real on the mock carrier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from runner.campaigns import CallingWindow, CampaignRun, QuietHours, RunOptions
from runner.store import CampaignStore, NewRecipient, open_store
from tests.runner.campaigns.test_run import FLOW, NAME, FakeClock, RecordingDispatcher, campaign
from tests.runner.server.harness import running_server

UTC = ZoneInfo("UTC")


def at(text: str) -> float:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()


def recipient(line: int, number: str, time_zone: str | None = None) -> NewRecipient:
    return NewRecipient(line, number, {"name": f"R{line}", "phone": number}, time_zone=time_zone)


RECIPIENTS = [
    recipient(2, "+442071234567"),  # London: 03:00, waits for 09:00 (09:00 UTC)
    recipient(3, "+14155550100"),  # San Francisco: 19:00 the day before, called now
    recipient(4, "+14155550101", "Asia/Tokyo"),  # its own zone, Tokyo: 12:00, called now
    recipient(5, "+12025550100"),  # Washington: 22:00 the day before, waits for 09:00 (14:00 UTC)
    recipient(6, "+88213500000", None),  # no zone of its own: the default, Asia/Kolkata, 08:30
]


class WaitingDispatcher(RecordingDispatcher):
    """The recording dispatcher, noting how each recipient it deferred stands in the store."""

    def __init__(self, store: CampaignStore, campaign: str, now: Callable[[], float]) -> None:
        super().__init__(store, campaign, now)
        self.waiting: dict[int, tuple[str, int, float | None]] = {}

    async def defer(self, line: int, until: float) -> bool:
        deferred = await super().defer(line, until)
        (row,) = [r for r in self.store.recipients(self.campaign) if r.line == line]
        self.waiting[line] = (row.status, row.attempts, row.next_attempt_at)
        return deferred


def test_recipients_outside_their_window_wait_for_it_and_the_rest_are_called(data_dir: Path) -> None:
    clock = FakeClock()
    clock.time = at("2026-12-01 03:00")
    quiet = QuietHours(CallingWindow.parse("09:00-20:00"), ZoneInfo("Asia/Kolkata"))

    async def go() -> WaitingDispatcher:
        with open_store(data_dir) as store:
            store.create_campaign(campaign(), RECIPIENTS)
            dispatcher = WaitingDispatcher(store, NAME, clock.now)
            options = RunOptions(cps=None, concurrency=5, quiet_hours=quiet)
            summary = await CampaignRun(server.service, dispatcher, FLOW, options, clock.clock()).run()
            assert summary.outcomes == {"completed": 5}
            state = store.campaign(NAME)
            assert state is not None
            assert state.state == "done"
            return dispatcher

    with running_server(data_dir, flows=[FLOW]) as server:
        dispatcher: WaitingDispatcher = server.run(go())
    called_at = {line: now for line, _, now in dispatcher.claims}
    assert called_at == {
        3: at("2026-12-01 03:00"),
        4: at("2026-12-01 03:00"),
        6: at("2026-12-01 03:30"),  # 09:00 in Kolkata (UTC+5:30)
        2: at("2026-12-01 09:00"),
        5: at("2026-12-01 14:00"),
    }
    # Each waited in the store, no attempt counted, until its window's opening.
    assert dispatcher.waiting == {
        2: ("waiting", 0, at("2026-12-01 09:00")),
        5: ("waiting", 0, at("2026-12-01 14:00")),
        6: ("waiting", 0, at("2026-12-01 03:30")),
    }
