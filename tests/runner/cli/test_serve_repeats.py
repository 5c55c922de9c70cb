"""A carrier call id starts at most one call, and a retry gets the first answer, across
restarts of a real ``callflow serve`` (whose replay cache a restart empties)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.store import open_store
from tests.runner.cli.serve_process import TwilioServer, twilio_config

INBOUND = {"CallSid": "CA-repeat-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}


class Server(TwilioServer):
    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def server(tmp_path: Path, port: int) -> Iterator[Server]:
    running = Server(twilio_config(tmp_path, port), port).start()
    yield running
    running.stop()


def _records(data_dir: Path) -> list[tuple[str, str | None]]:
    with open_store(data_dir) as store:
        return [(record.lifecycle, record.carrier_call_id) for record in store.all()]


def test_the_first_webhook_of_an_ended_call_starts_nothing_after_a_restart(
    server: Server, tmp_path: Path
) -> None:
    first = server.carrier_post("/voice/webhook", INBOUND)
    assert "<Say>You have reached the outage hotline.</Say>" in first.text
    assert server.carrier_post("/voice/webhook", {**INBOUND, "CallStatus": "completed"}).status_code == 200
    server.restart()

    again = server.carrier_post("/voice/webhook", INBOUND)

    assert again.status_code == 200
    assert "outage hotline" not in again.text
    assert _records(tmp_path / "data") == [("hangup-user", "CA-repeat-1")]


def test_a_retry_after_a_restart_gets_the_answer_the_first_request_got(
    server: Server, tmp_path: Path
) -> None:
    first = server.carrier_post("/voice/webhook", INBOUND)
    assert "<Gather" in first.text
    server.restart()

    retry = server.carrier_post("/voice/webhook", INBOUND)

    assert (retry.status_code, retry.text) == (200, first.text)
    assert _records(tmp_path / "data") == [("listening", "CA-repeat-1")]
    # The call goes on from where it was: the menu's answer is still taken.
    action = re.search(r'action="http://127\.0\.0\.1:\d+(/voice/webhook\?[^"]+)"', first.text)
    assert action is not None
    answer = server.carrier_post(action.group(1).replace("&amp;", "&"), {**INBOUND, "Digits": "1"})
    assert "<Say>Please describe the problem after the tone.</Say>" in answer.text
