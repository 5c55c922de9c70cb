"""Calls on the mock carrier through the real HTTP path: control API, webhook, store."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.providers.twilio import TwilioProvider
from runner.service import InboundPolicy
from runner.types import CallRecord, EndReason
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.server.harness import Running, running_server

ADA = {"name": "Ada", "phone": "+14155550100"}


def test_an_outbound_call_runs_over_the_webhook_to_its_end(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        started = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["1"]}
        )
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


def _wait_until(server: Running, call_id: str, waiting_for: str, seconds: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = server.api("GET", f"/api/calls/{call_id}").json()
        if status["waiting_for"] == waiting_for:
            return status
        time.sleep(0.02)
    raise AssertionError(f"call {call_id} never waited for the {waiting_for}: {status}")


def test_continue_is_the_agents_turn_in_a_consult_step(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        started = server.api(
            "POST",
            "/api/calls",
            {
                "flow": "meeting-dial-in",
                "vars": {"bridge": "+14155550100", "pin": "31"},
                "inputs": ["say:What is on the agenda?", "say:Thanks, that helps."],
            },
        )
        call_id = started.json()["id"]
        _wait_until(server, call_id, "agent")
        reply = server.api(
            "POST", f"/api/calls/{call_id}/continue", {"text": "The budget first.", "timeout": 10}
        )
        assert reply.json() == {"heard": "Thanks, that helps."}
        record = server.api("GET", f"/api/calls/{call_id}").json()
        assert record["digits_sent"] == ["ww31#"]
        assert [(entry["speaker"], entry["text"]) for entry in record["transcript"]] == [
            ("bot", "Hello, this is the assistant joining the meeting."),
            ("caller", "What is on the agenda?"),
            ("agent", "The budget first."),
            ("caller", "Thanks, that helps."),
        ]
        (sid,) = server.provider.calls
        assert server.provider.calls[sid].digits_played == ["ww31#"]
        ended = server.api("POST", f"/api/calls/{call_id}/end").json()
        assert ended["end_reason"] == "hangup-bot"


def test_speak_and_dtmf_reach_a_caller_who_is_thinking(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        call_id = server.api(
            "POST",
            "/api/calls",
            {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:10", "wait:10", "2"]},
        ).json()["id"]
        _wait_until(server, call_id, "caller")
        metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
        assert 'callflow_calls_by_state{state="listening"} 1.0' in metrics
        assert "\ncallflow_calls_in_flight 1.0\n" in metrics
        assert server.api("POST", f"/api/calls/{call_id}/speak", {"text": "Take your time."}).json() == {
            "ok": True
        }
        _wait_until(server, call_id, "caller")
        assert server.api("POST", f"/api/calls/{call_id}/dtmf", {"digits": "9#"}).json() == {"ok": True}
        record = server.api("POST", f"/api/calls/{call_id}/wait", {"timeout": 20}).json()
        assert record["path"] == ["menu", "cancelled"]
        assert "Take your time." in record["said"]
        assert record["digits_sent"] == ["9#"]
        assert len(record["turns"]) == 1  # speaking into a turn does not start another one


def test_control_requests_need_the_token_and_good_input(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        anonymous = httpx.post(f"{server.base}/api/calls", json={"flow": "appointment-reminder"}, timeout=10)
        assert anonymous.status_code == 401
        assert server.api("POST", "/api/calls", {"flow": "nope", "vars": {}}).json() == {
            "error": "no flow named 'nope' is loaded (loaded: appointment-reminder, inbound-hotline, meeting-dial-in, support-menu)"
        }
        missing = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": {"name": "Ada"}})
        assert (missing.status_code, missing.json()["error"]) == (
            400,
            "flow 'appointment-reminder' needs input phone: give --var phone=...",
        )
        assert server.api("GET", "/api/calls/call-unknown").status_code == 404
        bad_script = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["press 1"]}
        )
        assert (bad_script.status_code, bad_script.json()["error"]) == (
            400,
            "expected keys (0-9 * #), say:TEXT, silence, wait:N or hangup as an input, found 'press 1'",
        )
        bad_digits = server.api("POST", "/api/calls/call-unknown/dtmf", {"digits": "12x"})
        assert (bad_digits.status_code, bad_digits.json()["error"]) == (
            400,
            "'digits' takes 0-9 * # w W p P , only, found '12x'",
        )
        assert server.api("POST", "/api/calls", [1, 2]).json() == {"error": "the body must be a JSON object"}


def test_inbound_calls_follow_the_policy(data_dir: Path) -> None:
    policy = InboundPolicy(
        policy="allowlist", allow_from=("+1 (415) 555-0111",), flow="inbound-hotline", greeting="Welcome."
    )
    with running_server(data_dir, inbound=policy) as server:
        refused = server.post_webhook(
            "",
            {
                "CallSid": "CA1",
                "From": "+14155550999",
                "To": "+14155550199",
                "Direction": "inbound",
                "CallStatus": "ringing",
            },
        )
        assert refused.text.splitlines()[-2:] == ['  <Reject reason="rejected"/>', "</Response>"]
        again = server.post_webhook(
            "", {"CallSid": "CA1", "From": "+14155550999", "To": "+14155550199", "Direction": "inbound"}
        )
        assert "<Reject" in again.text  # refused again, but recorded once
        anonymous = server.post_webhook(
            "", {"CallSid": "CA2", "From": "anonymous", "To": "+14155550199", "Direction": "inbound"}
        )
        assert "<Reject" in anonymous.text
        admitted = server.post_webhook(
            "",
            {"CallSid": "CA3", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"},
        )
        assert "<Say>Welcome.</Say>" in admitted.text
        assert "<Say>You have reached the outage hotline.</Say>" in admitted.text
        records = server.run(_all_records(server))
        assert sorted((record.from_number, record.end_reason) for record in records) == [
            ("+14155550111", None),
            ("+14155550999", EndReason.FAILED),
            ("anonymous", EndReason.FAILED),
        ]
        assert {record.error for record in records if record.error} == {
            "inbound call refused by the inbound policy"
        }


async def _all_records(server: Running) -> list[CallRecord]:
    return list(server.service.store.all())


def test_a_malformed_webhook_or_unknown_call_gets_a_clear_status(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        no_sid = server.post_webhook("?call_id=call-x&event=answer", {"CallStatus": "in-progress"})
        assert (no_sid.status_code, no_sid.text) == (400, "mock: webhook without the 'CallSid' field")
        unknown = server.post_webhook("?call_id=call-x&event=answer", {"CallSid": "CA9"})
        assert (unknown.status_code, unknown.text) == (404, "no call with id 'call-x'")
        assert httpx.get(server.webhook, timeout=10).status_code == 405
        assert httpx.get(f"{server.base}/healthz", timeout=10).json() == {
            "ok": True,
            "service": "callflow",
            "provider": "mock",
            "calls_in_flight": 0,
        }


def test_max_duration_ends_the_call_with_timeout(data_dir: Path) -> None:
    with running_server(data_dir, max_duration_seconds=1) as server:
        call_id = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:30"]}
        ).json()["id"]
        record = server.api("POST", f"/api/calls/{call_id}/wait", {"timeout": 20}).json()
        assert record["end_reason"] == "timeout"
        metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
        assert 'callflow_calls_ended_total{reason="timeout"} 1.0' in metrics
        assert 'callflow_calls_started_total{direction="outbound"} 1.0' in metrics
        assert 'callflow_calls_by_state{state="listening"} 0.0' in metrics
        assert "callflow_webhook_seconds_count" in metrics


def test_the_reaper_ends_calls_never_answered_but_not_answered_ones(data_dir: Path) -> None:
    with running_server(data_dir, stale_call_reaper_seconds=1, reaper_interval_seconds=0.2) as server:
        server.provider.answers = False
        silent = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA}).json()["id"]
        server.provider.answers = True
        talking = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:30"]}
        ).json()["id"]
        reaped = server.api("POST", f"/api/calls/{silent}/wait", {"timeout": 20}).json()
        assert (reaped["end_reason"], reaped["error"]) == (
            "failed",
            "no answer and no end from the carrier within 1 s",
        )
        time.sleep(1.5)
        assert server.api("GET", f"/api/calls/{talking}").json()["end_reason"] is None


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((401, {"code": 20003, "message": "Authenticate"}), "twilio: the API answered 401: Authenticate"),
        ((500, {"message": "Internal"}), "twilio: the API answered 500: Internal"),
    ],
)
def test_a_carrier_error_fails_the_call_cleanly_and_the_server_keeps_serving(
    data_dir: Path, answer: tuple[int, dict[str, Any]], message: str
) -> None:
    with CarrierServer() as carrier:
        carrier.answer(*answer)
        twilio = TwilioProvider("AC00000000000000000000000000000000", "secret-token-42", api_base=carrier.url)
        with running_server(data_dir, provider=twilio) as server:
            refused = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA})
            assert (refused.status_code, refused.json()) == (502, {"error": message})
            assert "secret-token-42" not in refused.text
            records = server.run(_all_records(server))
            assert [(record.end_reason, record.to_number) for record in records] == [
                (EndReason.FAILED, "+14155550100")
            ]
            assert httpx.get(f"{server.base}/healthz", timeout=10).json()["calls_in_flight"] == 0


def test_an_unreachable_carrier_is_a_clear_error(data_dir: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        address = f"http://127.0.0.1:{unused.getsockname()[1]}"
        twilio = TwilioProvider("AC00000000000000000000000000000000", "secret-token-42", api_base=address)
        with running_server(data_dir, provider=twilio) as server:
            refused = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA})
            assert refused.status_code == 502
            assert refused.json()["error"].startswith("twilio: ")


def test_an_inbound_hang_up_sent_to_the_bare_webhook_url_ends_the_call(data_dir: Path) -> None:
    policy = InboundPolicy(policy="open", flow="inbound-hotline")
    with running_server(data_dir, inbound=policy) as server:
        caller = {"CallSid": "CA7", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}
        answered = server.post_webhook("", caller)
        call_id = answered.text.split("call_id=")[1].split("&")[0]
        over = server.post_webhook("", {**caller, "CallStatus": "completed"})
        assert over.status_code == 200
        record = server.api("GET", f"/api/calls/{call_id}").json()
        assert record["end_reason"] == "hangup-user"
        steer = server.api("POST", f"/api/calls/{call_id}/speak", {"text": "Hello?"})
        assert (steer.status_code, steer.json()["error"]) == (
            409,
            f"call '{call_id}' cannot be steered: it has ended (hangup-user)",
        )


def test_a_status_callback_for_a_refused_call_is_acknowledged(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        caller = {"CallSid": "CA8", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}
        assert "<Reject" in server.post_webhook("", caller).text
        assert server.post_webhook("", {**caller, "CallStatus": "canceled"}).status_code == 200


def test_a_greeting_over_the_carriers_limit_ends_only_that_call(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        long_name = {"name": "A" * 4100, "phone": "+14155550100"}
        call_id = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": long_name}
        ).json()["id"]
        record = server.api("POST", f"/api/calls/{call_id}/wait", {"timeout": 20}).json()
        assert record["end_reason"] == "error"
        assert record["error"].startswith("twilio: <Say> text is 4,1")
        fine = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["1"]}
        )
        assert server.api("POST", f"/api/calls/{fine.json()['id']}/wait", {"timeout": 20}).json()[
            "end_reason"
        ] == ("hangup-bot")
