"""Calls on the mock carrier through the real HTTP path: control API, webhook, store."""

from __future__ import annotations

from pathlib import Path

from tests.runner.server.harness import running_server

ADA = {"name": "Ada", "phone": "+14155550100"}


def test_an_outbound_call_runs_over_the_webhook_to_its_end(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        started = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["1"]})
        assert started.status_code == 201, started.text
        call_id = started.json()["id"]
        ended = server.api("POST", f"/api/calls/{call_id}/wait", {"timeout": 20})
        record = ended.json()
        assert record["end_reason"] == "hangup-bot"
        assert record["path"] == ["menu", "confirmed"]
        assert record["said"] == [
            "Hi Ada, this is the clinic.",
            "Press 1 to confirm your appointment, or 2 to cancel it.",
            "See you then.",
        ]
        assert record["provider"] == "mock"
        (sid,) = server.provider.calls
        heard = server.run(server.provider.wait_until_done(sid))
        assert heard.said == record["said"]
        assert heard.status == "completed"
