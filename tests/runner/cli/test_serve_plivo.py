"""Plivo through a real ``callflow serve``: webhooks signed by the official ``plivo``
package, calls placed through a stand-in of Plivo's REST API on 127.0.0.1."""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

from runner.types import EndReason
from tests.conftest import CLI, EXAMPLES
from tests.runner.cli.serve_process import ServeProcess, action_of, only_record, xml
from tests.runner.providers.carrier_server import CarrierServer

AUTH_ID = "MAZDQ1ZJIYMDZKMMZKYM"
AUTH_TOKEN = "plivo-test-token-0123456789"
REQUEST_UUID = "9834029e-58b6-11e1-8b11-0026b5bbd6a8"
CALL_UUID = "e5a3b3c8-54a4-11ee-8c99-0242ac120002"
OUTBOUND = {"CallUUID": CALL_UUID, "From": "+14155550199", "To": "+14155550100", "Direction": "outbound"}
INBOUND = {
    "CallUUID": "a1b2c3d4-54a4-11ee-8c99-0242ac120002",
    "From": "+14155550111",
    "To": "+14155550199",
    "Direction": "inbound",
}


class PlivoServer(ServeProcess):
    def post(self, url: str, form: dict[str, str]) -> httpx.Response:
        """What Plivo would send: V3-signed by the official plivo library, a fresh nonce each time."""
        return httpx.post(url, data=form, headers=self.signed(url, form), timeout=10)

    @staticmethod
    def signed(url: str, form: dict[str, str]) -> dict[str, str]:
        """The signature headers of a request, with a fresh nonce."""
        nonce = secrets.token_hex(10)
        signed = construct_post_url(url, dict(form)).decode()
        signature = get_signature_v3(AUTH_TOKEN.encode(), signed, nonce.encode()).decode()
        return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}


@pytest.fixture
def server(tmp_path: Path, port: int, carrier: CarrierServer) -> Iterator[PlivoServer]:
    config = tmp_path / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            provider: plivo
            from_number: "+14155550199"
            plivo:
              auth_id: {AUTH_ID}
              auth_token: {AUTH_TOKEN}
              api_base: {carrier.url}
            public_url: http://127.0.0.1:{port}
            serve: {{port: {port}}}
            inbound: {{policy: open, flow: {EXAMPLES / "inbound-hotline.yaml"}}}
            flows: [{EXAMPLES / "appointment-reminder.yaml"}]
            data_dir: {tmp_path / "data"}
            """
        ),
        encoding="utf-8",
    )
    # The test is Plivo, on this machine: public_url is on loopback.
    running = PlivoServer(config, port, "--allow-private-url").start()
    yield running
    running.stop()


ASK = xml(
    """
    <Response>
      <GetInput inputType="dtmf speech" numDigits="1" finishOnKey="#" executionTimeout="5" digitEndTimeout="5" hints="report,status" action="WEBHOOK?call_id=ID&amp;turn=TURN" method="POST" redirect="true">
        <Speak>You have reached the outage hotline.</Speak>
        <Speak>To report an outage, press 1 or say report. To hear the current status, press 2 or say status.</Speak>
      </GetInput>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
REPORT = xml(
    """
    <Response>
      <GetInput inputType="speech" finishOnKey="#" executionTimeout="10" digitEndTimeout="10" action="WEBHOOK?call_id=ID&amp;turn=TURN" method="POST" redirect="true">
        <Speak>Please describe the problem after the tone.</Speak>
      </GetInput>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
THANKS = xml(
    """
    <Response>
      <Speak>Thank you. We noted: Lights out. We will call +14155550111 back when it is fixed.</Speak>
      <Hangup/>
    </Response>
    """
)
MENU = xml(
    """
    <Response>
      <GetInput inputType="dtmf speech" numDigits="1" finishOnKey="#" executionTimeout="5" digitEndTimeout="5" hints="confirm,cancel" action="WEBHOOK?call_id=ID&amp;turn=TURN" method="POST" redirect="true">
        <Speak>Hi Ada, this is the clinic.</Speak>
        <Speak>Press 1 to confirm your appointment, or 2 to cancel it.</Speak>
      </GetInput>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
# The menu again after a key it does not take: the greeting is not said twice.
MENU_AGAIN = MENU.replace("    <Speak>Hi Ada, this is the clinic.</Speak>\n", "")


def test_an_inbound_call_runs_its_flow_in_plivo_xml(server: PlivoServer, tmp_path: Path) -> None:
    first = server.post(f"{server.base}/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
    assert first.status_code == 200, first.text
    assert server.golden(first.text) == ASK

    pressed = server.post(
        action_of(first.text), {**INBOUND, "CallStatus": "in-progress", "InputType": "dtmf", "Digits": "1"}
    )
    assert pressed.status_code == 200, pressed.text
    assert server.golden(pressed.text) == REPORT

    said = server.post(
        action_of(pressed.text),
        {**INBOUND, "CallStatus": "in-progress", "InputType": "speech", "Speech": "Lights out"},
    )
    assert (said.status_code, said.text) == (200, THANKS)

    # The application's Hangup URL.
    over = server.post(f"{server.base}/voice/webhook?event=status", {**INBOUND, "CallStatus": "completed"})
    assert over.status_code == 200, over.text
    record = only_record(tmp_path / "data")
    assert (record.provider, record.direction.value) == ("plivo", "inbound")
    assert record.path == ["ask", "report", "thanks"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_an_outbound_call_follows_plivo_from_its_request_uuid_to_its_call_uuid(
    server: PlivoServer, carrier: CarrierServer, cli: CLI, tmp_path: Path
) -> None:
    carrier.answer(201, {"message": "call fired", "request_uuid": REQUEST_UUID, "api_id": "97ceeb52"})
    config = ("--config", server.config)
    placed = cli(
        "call", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--no-wait", *config,
    )  # fmt: skip
    assert placed.code == 0, placed.err
    call_id = placed.out.split()[1]
    [fired] = carrier.requests
    assert (fired.method, fired.path) == ("POST", f"/v1/Account/{AUTH_ID}/Call/")
    order = fired.json()
    assert (order["from"], order["to"]) == ("+14155550199", "+14155550100")

    # Plivo names the call by its CallUUID from now on, never by the request uuid.
    answered = server.post(order["answer_url"], {**OUTBOUND, "CallStatus": "in-progress"})
    assert answered.status_code == 200, answered.text
    assert server.golden(answered.text) == MENU
    assert f"call_id={call_id}&amp;" in answered.text
    # A key the menu does not take: the menu again, with a new turn.
    retried = server.post(
        action_of(answered.text),
        {**OUTBOUND, "CallStatus": "in-progress", "InputType": "dtmf", "Digits": "9"},
    )
    assert retried.status_code == 200, retried.text
    assert server.golden(retried.text) == MENU_AGAIN
    assert action_of(retried.text) != action_of(answered.text)

    # Ended from here: the hang-up names the call as Plivo's webhooks do.
    carrier.answer(204)
    ended = cli("end", "--call-id", call_id, *config)
    assert ended.out == f"call {call_id} ended: hangup-bot (hung up on plivo)\n"
    hang_up = carrier.requests[1]
    assert (hang_up.method, hang_up.path) == ("DELETE", f"/v1/Account/{AUTH_ID}/Call/{CALL_UUID}/")

    over = server.post(order["hangup_url"], {**OUTBOUND, "CallStatus": "completed"})
    assert over.status_code == 200, over.text
    assert len(carrier.requests) == 2
    record = only_record(tmp_path / "data")
    assert (record.id, record.provider, record.direction.value) == (call_id, "plivo", "outbound")
    assert record.path == ["menu"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_a_copy_of_a_signed_request_in_other_bytes_starts_no_second_call(
    server: PlivoServer, tmp_path: Path
) -> None:
    # An answer URL with a query, as a console may carry one.
    url = f"{server.base}/voice/webhook?source=console&line=1"
    form = {**INBOUND, "CallStatus": "ringing"}
    headers = server.signed(url, form)
    first = httpx.post(url, data=form, headers=headers, timeout=10)
    assert server.golden(first.text) == ASK
    over = server.post(f"{server.base}/voice/webhook?event=status", {**INBOUND, "CallStatus": "completed"})
    assert over.status_code == 200, over.text

    # The query and the fields in another order, percent-encoded otherwise: the same signature.
    copy = "&".join(f"{name}={value}" for name, value in reversed(form.items())).replace("+", "%2B")
    copied = httpx.post(
        f"{server.base}/voice/webhook?line=1&source=console",
        content=copy.encode(),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    assert (copied.status_code, copied.text) == (200, first.text)
    record = only_record(tmp_path / "data")
    assert (record.path, record.end_reason) == (["ask"], EndReason.HANGUP_USER)
