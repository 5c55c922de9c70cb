"""Calls on the mock carrier through the real HTTP path: control API, webhook, store."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.providers.plivo import PlivoProvider
from runner.providers.twilio import TwilioProvider
from runner.service import InboundSettings
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
            "error": "no flow named 'nope' is loaded (loaded: appointment-reminder, inbound-hotline, "
            "meeting-dial-in, support-menu); to load it, list its file under 'flows:' in the server's "
            "config (callflow.yaml by default) and restart 'callflow serve'"
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
    policy = InboundSettings(
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


def test_each_call_on_the_mock_plays_the_callee_script_it_was_given(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        scripts = {"confirmed": ["wait:1", "1"], "cancelled": ["2"], "goodbye": ["silence", "silence"]}
        placed = {
            step: server.api(
                "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": script}
            )
            for step, script in scripts.items()
        }
        for step, started in placed.items():
            record = server.api("POST", f"/api/calls/{started.json()['id']}/wait", {"timeout": 20}).json()
            assert record["path"][-1] == step


def test_a_call_past_max_concurrent_calls_is_refused_with_429(data_dir: Path) -> None:
    with running_server(data_dir, max_concurrent_calls=1) as server:
        first = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:30"]}
        )
        assert first.status_code == 201
        second = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["1"]}
        )
        assert (second.status_code, second.json()) == (
            429,
            {"error": "1 calls are in flight, the most max_concurrent_calls allows"},
        )
        assert server.api("POST", f"/api/calls/{first.json()['id']}/end").status_code == 200


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


def test_the_reaper_ends_any_call_that_hears_nothing_from_the_carrier_for_its_limit(
    data_dir: Path,
) -> None:
    with running_server(data_dir, stale_call_reaper_seconds=2, reaper_interval_seconds=0.1) as server:
        server.provider.answers = False
        silent = server.api("POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA}).json()["id"]
        server.provider.answers = True
        # Answered, then the carrier says nothing more: the caller never answers the menu.
        stuck = server.api(
            "POST", "/api/calls", {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:30"]}
        ).json()["id"]
        # Longer than the limit in all, but never two seconds without a webhook.
        talking = server.api(
            "POST",
            "/api/calls",
            {"flow": "appointment-reminder", "vars": ADA, "inputs": ["wait:1.2", "silence", "wait:1.2", "1"]},
        ).json()["id"]
        never_answered = server.api("POST", f"/api/calls/{silent}/wait", {"timeout": 20}).json()
        assert (never_answered["end_reason"], never_answered["error"]) == (
            "failed",
            "no answer and no end from the carrier within 2 s",
        )
        answered = server.api("POST", f"/api/calls/{stuck}/wait", {"timeout": 20}).json()
        assert (answered["end_reason"], answered["error"], answered["path"]) == (
            "error",
            "no webhook from the carrier within 2 s",
            ["menu"],
        )
        (hung_up,) = [
            mock for mock in server.provider.calls.values() if f"call_id={stuck}&" in mock.outbound.answer_url
        ]
        assert hung_up.status == "completed"
        done = server.api("POST", f"/api/calls/{talking}/wait", {"timeout": 20}).json()
        assert (done["end_reason"], done["error"], done["path"]) == (
            "hangup-bot",
            None,
            ["menu", "confirmed"],
        )
        assert done["ended_at"] - done["created_at"] > 2


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
    policy = InboundSettings(policy="open", flow="inbound-hotline")
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


def test_a_caller_id_template_that_fails_is_reported_as_from(data_dir: Path, tmp_path: Path) -> None:
    flow = tmp_path / "line.yaml"
    flow.write_text(
        "version: 1\nname: line\ninputs:\n  line: {type: integer}\n"
        'to: "+14155550100"\nfrom: "+1415555{{ 1000 // line }}"\ngreeting: Hi.\n',
        encoding="utf-8",
    )
    with running_server(data_dir, flows=[flow]) as server:
        refused = server.api("POST", "/api/calls", {"flow": "line", "vars": {"line": "0"}})
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "flow 'line': 'from' could not be rendered: integer division or modulo by zero"},
        )
        assert server.provider.calls == {}


def test_a_bearer_token_that_is_not_ascii_is_refused_as_wrong(data_dir: Path) -> None:
    with running_server(data_dir) as server:
        refused = httpx.get(
            f"{server.base}/api/calls/call-1", headers={"Authorization": "Bearer tökén".encode()}, timeout=10
        )
        assert (refused.status_code, refused.json()) == (
            401,
            {"error": "missing or wrong bearer token (it is in the data folder, control.token)"},
        )


def test_a_call_ended_while_a_webhook_waits_for_the_agent_counts_one_end(data_dir: Path) -> None:
    with running_server(data_dir, max_agent_wait_seconds=0.5) as server:
        call_id = server.api(
            "POST",
            "/api/calls",
            {
                "flow": "meeting-dial-in",
                "vars": {"bridge": "+14155550100", "pin": "31"},
                "inputs": ["say:What is on the agenda?"],
            },
        ).json()["id"]
        # The caller's words are in a webhook held open for the agent's reply; end the call then.
        _wait_until(server, call_id, "agent")
        assert server.api("POST", f"/api/calls/{call_id}/end").json()["end_reason"] == "hangup-bot"
        deadline = time.monotonic() + 10
        while not server.provider.idle and time.monotonic() < deadline:
            time.sleep(0.02)  # the held webhook answers once the agent's wait is over
        assert server.provider.idle
        metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
        assert 'callflow_calls_ended_total{reason="hangup-bot"} 1.0' in metrics
        assert "\ncallflow_calls_in_flight 0.0\n" in metrics


QUICK_MENU = """\
version: 1
name: quick-menu
mode: conversation
steps:
  menu:
    say: Press 1.
    gather: {digits: 1, timeout: 4}
    on: {"1": done}
  done:
    say: Bye.
    hangup: true
"""


def test_a_timeout_under_plivos_floor_is_sent_as_the_nearest_it_takes(data_dir: Path, tmp_path: Path) -> None:
    flow = tmp_path / "quick-menu.yaml"
    flow.write_text(QUICK_MENU, encoding="utf-8")
    policy = InboundSettings(policy="open", flow="quick-menu")
    plivo = PlivoProvider("MA0000000000000000000", "plivo-test-token")
    with running_server(data_dir, [flow], provider=plivo, verify_signatures=False, inbound=policy) as server:
        caller = {
            "CallUUID": "uuid-inbound-1",
            "From": "+14155550111",
            "To": "+14155550199",
            "Direction": "inbound",
            "CallStatus": "ringing",
        }
        answered = server.post_webhook("", caller)
        assert answered.status_code == 200
        call_id = answered.text.split("call_id=")[1].split("&")[0]
        turn = answered.text.split("turn=")[1].split('"')[0]
        assert answered.text == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Response>\n"
            f'  <GetInput inputType="dtmf" numDigits="1" finishOnKey="#" executionTimeout="5" '
            f'digitEndTimeout="5" action="{server.webhook}?call_id={call_id}&amp;turn={turn}" '
            'method="POST" redirect="true">\n'
            "    <Speak>Press 1.</Speak>\n"
            "  </GetInput>\n"
            f'  <Redirect method="POST">{server.webhook}?call_id={call_id}&amp;turn={turn}</Redirect>\n'
            "</Response>\n"
        )
        record = server.api("GET", f"/api/calls/{call_id}").json()
        assert (record["end_reason"], record["error"], record["lifecycle"]) == (None, None, "listening")
