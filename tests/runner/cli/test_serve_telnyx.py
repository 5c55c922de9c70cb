"""Telnyx (TeXML) through a real ``callflow serve``: webhooks signed with a test Ed25519
key, each one verified by the official ``telnyx`` package before it is sent, and calls
placed through a stand-in of Telnyx's REST API on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from telnyx import Telnyx

from tests.conftest import CLI, EXAMPLES
from tests.runner.cli.serve_process import ServeProcess, action_of, only_record, xml
from tests.runner.providers.carrier_server import CarrierServer

PRIVATE_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = base64.b64encode(PRIVATE_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
# The SDK client only verifies signatures here, offline: it never calls the API.
TELNYX = Telnyx(api_key="KEY-never-used", public_key=PUBLIC_KEY)
API_KEY = "KEY0123456789ABCDEF_5ecret"
CONNECTION_ID = "1773070540731319841"
ACCOUNT_SID = "f5586561-8ff0-4291-a51b-c7dfe4139ff9"
CALL_SID = "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldN"
OUTBOUND = {
    "AccountSid": ACCOUNT_SID,
    "CallSid": CALL_SID,
    "From": "+14155550199",
    "To": "+14155550100",
    "Direction": "outbound",
}
INBOUND = {
    "AccountSid": ACCOUNT_SID,
    "CallSid": "v3:inbound-4RHRksMTg7ldN",
    "From": "+14155550111",
    "To": "+14155550199",
    "Direction": "inbound",
}


def signed_headers(body: str, timestamp: str) -> dict[str, str]:
    signature = PRIVATE_KEY.sign(f"{timestamp}|{body}".encode())
    return {"telnyx-signature-ed25519": base64.b64encode(signature).decode(), "telnyx-timestamp": timestamp}


def verify_with_telnyx_sdk(body: str, headers: Mapping[str, str]) -> None:
    """Raise unless Telnyx's SDK accepts the signature.

    ``webhooks.unwrap`` checks the timestamp (within 300 s) and the Ed25519 signature over
    ``timestamp|body``, then reads the body as JSON, the form of Call Control webhooks.
    TeXML webhooks are forms, so a request it has verified ends in that JSON error, and
    one it refuses in its own ValueError, which goes through.
    """
    with pytest.raises(json.JSONDecodeError):
        TELNYX.webhooks.unwrap(body, headers=headers)


class TelnyxServer(ServeProcess):
    def post(self, url: str, form: dict[str, str]) -> httpx.Response:
        """What Telnyx would send, once Telnyx's own SDK has verified it."""
        body = urlencode(form)
        headers = signed_headers(body, str(int(time.time())))
        verify_with_telnyx_sdk(body, headers)
        headers["content-type"] = "application/x-www-form-urlencoded"
        return httpx.post(url, content=body, headers=headers, timeout=10)


@pytest.fixture
def server(tmp_path: Path, port: int, carrier: CarrierServer) -> Iterator[TelnyxServer]:
    config = tmp_path / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            provider: telnyx
            from_number: "+14155550199"
            telnyx:
              api_key: {API_KEY}
              connection_id: "{CONNECTION_ID}"
              account_sid: {ACCOUNT_SID}
              public_key: {PUBLIC_KEY}
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
    # The test is Telnyx, on this machine: public_url is on loopback.
    running = TelnyxServer(config, port, "--allow-private-url").start()
    yield running
    running.stop()


def test_telnyxs_sdk_refuses_what_the_key_did_not_sign() -> None:
    timestamp = str(int(time.time()))
    headers = signed_headers("CallSid=a&CallStatus=ringing", timestamp)

    with pytest.raises(ValueError, match=r"^Signature verification failed"):
        TELNYX.webhooks.unwrap("CallSid=b&CallStatus=ringing", headers=headers)


ASK = xml(
    """
    <Response>
      <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="report,status" action="WEBHOOK?call_id=ID&amp;turn=TURN">
        <Say>You have reached the outage hotline.</Say>
        <Say>To report an outage, press 1 or say report. To hear the current status, press 2 or say status.</Say>
      </Gather>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
REPORT = xml(
    """
    <Response>
      <Gather input="speech" finishOnKey="#" timeout="10" action="WEBHOOK?call_id=ID&amp;turn=TURN">
        <Say>Please describe the problem after the tone.</Say>
      </Gather>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
THANKS = xml(
    """
    <Response>
      <Say>Thank you. We noted: Lights out. We will call +14155550111 back when it is fixed.</Say>
      <Hangup/>
    </Response>
    """
)
MENU = xml(
    """
    <Response>
      <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="confirm,cancel" action="WEBHOOK?call_id=ID&amp;turn=TURN">
        <Say>Hi Ada, this is the clinic.</Say>
        <Say>Press 1 to confirm your appointment, or 2 to cancel it.</Say>
      </Gather>
      <Redirect method="POST">WEBHOOK?call_id=ID&amp;turn=TURN</Redirect>
    </Response>
    """
)
# The menu again after a key it does not take: the greeting is not said twice.
MENU_AGAIN = MENU.replace("    <Say>Hi Ada, this is the clinic.</Say>\n", "")


def test_an_inbound_call_runs_its_flow_in_texml(server: TelnyxServer, tmp_path: Path) -> None:
    first = server.post(f"{server.base}/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
    assert first.status_code == 200, first.text
    assert server.golden(first.text) == ASK

    pressed = server.post(action_of(first.text), {**INBOUND, "CallStatus": "in-progress", "Digits": "1"})
    assert pressed.status_code == 200, pressed.text
    assert server.golden(pressed.text) == REPORT

    said = server.post(
        action_of(pressed.text), {**INBOUND, "CallStatus": "in-progress", "SpeechResult": "Lights out"}
    )
    assert (said.status_code, said.text) == (200, THANKS)

    # The TeXML application's status callback.
    over = server.post(f"{server.base}/voice/webhook?event=status", {**INBOUND, "CallStatus": "completed"})
    assert over.status_code == 200, over.text
    record = only_record(tmp_path / "data")
    assert (record.provider, record.direction.value) == ("telnyx", "inbound")
    assert record.path == ["ask", "report", "thanks"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_an_outbound_call_is_placed_steered_and_ended_through_telnyxs_api(
    server: TelnyxServer, carrier: CarrierServer, cli: CLI, tmp_path: Path
) -> None:
    carrier.answer(
        200, {"call_sid": CALL_SID, "from": "+14155550199", "to": "+14155550100", "status": "queued"}
    )
    config = ("--config", server.config)
    placed = cli(
        "call", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--no-wait", *config,
    )  # fmt: skip
    assert placed.code == 0, placed.err
    call_id = placed.out.split()[1]
    [created] = carrier.requests
    assert (created.method, created.path) == ("POST", f"/v2/texml/calls/{CONNECTION_ID}")
    assert created.headers["authorization"] == f"Bearer {API_KEY}"
    order = created.json()
    assert (order["From"], order["To"]) == ("+14155550199", "+14155550100")

    answered = server.post(order["Url"], {**OUTBOUND, "CallStatus": "in-progress"})
    assert answered.status_code == 200, answered.text
    assert server.golden(answered.text) == MENU
    assert f"call_id={call_id}&amp;" in answered.text
    # A key the menu does not take: the menu again, with a new turn.
    retried = server.post(action_of(answered.text), {**OUTBOUND, "CallStatus": "in-progress", "Digits": "9"})
    assert retried.status_code == 200, retried.text
    assert server.golden(retried.text) == MENU_AGAIN
    assert action_of(retried.text) != action_of(answered.text)

    # Ended from here: through the TeXML update endpoint of the configured account.

    carrier.answer(200, {"sid": CALL_SID, "status": "completed"})
    ended = cli("end", "--call-id", call_id, *config)
    assert ended.out == f"call {call_id} ended: hangup-bot (hung up on telnyx)\n"
    update = carrier.requests[1]
    assert (update.method, update.path) == (
        "POST",
        f"/v2/texml/Accounts/{ACCOUNT_SID}/Calls/v3%3A9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldN",
    )
    assert update.json() == {"Status": "completed"}

    over = server.post(order["StatusCallback"], {**OUTBOUND, "CallStatus": "completed"})
    assert over.status_code == 200, over.text
    record = only_record(tmp_path / "data")
    assert (record.id, record.provider, record.direction.value) == (call_id, "telnyx", "outbound")
    assert record.path == ["menu"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"
