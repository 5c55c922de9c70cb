"""TelnyxProvider against a real HTTP server on 127.0.0.1; Ed25519 signatures with real keys."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from telnyx import Telnyx

from runner.dialects import dtmf_then_redirect
from runner.providers import (
    CarrierWebhook,
    OutboundCall,
    ProviderAPIError,
    ProviderConfigError,
    ProviderUnreachable,
    WebhookFormatError,
    WebhookKind,
)
from runner.providers.telnyx import TelnyxProvider, signature_valid
from runner.types import EndReason
from tests.runner.providers.carrier_server import CALL, WEBHOOK, CarrierServer, refusing_port, run_provider

API_KEY = "KEY0123456789ABCDEF_5ecret"
CONNECTION_ID = "1773070540731319841"
ACCOUNT_SID = "f5586561-8ff0-4291-a51b-c7dfe4139ff9"
CALL_SID = "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldN"
# "Update call", with the call sid as it appears in a path: its colon percent-encoded.
CALL_PATH = f"/v2/texml/Accounts/{ACCOUNT_SID}/Calls/v3%3A9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldN"
T = TypeVar("T")


@pytest.fixture
def telnyx() -> Iterator[TelnyxProvider]:
    provider = TelnyxProvider(API_KEY, CONNECTION_ID, ACCOUNT_SID)
    yield provider
    asyncio.run(provider.aclose())


def run(api_base: str, action: Callable[[TelnyxProvider], Awaitable[T]]) -> T:
    return run_provider(
        lambda: TelnyxProvider(API_KEY, CONNECTION_ID, ACCOUNT_SID, api_base=api_base), action
    )


# REST


def test_place_call_posts_the_documented_json_and_returns_the_call_sid(carrier: CarrierServer) -> None:
    carrier.answer(
        200, {"call_sid": CALL_SID, "from": "+14155550199", "to": "+14155550100", "status": "queued"}
    )

    call_sid = run(carrier.url, lambda provider: provider.place_call(CALL))

    assert call_sid == CALL_SID
    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"/v2/texml/calls/{CONNECTION_ID}")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "To": "+14155550100",
        "From": "+14155550199",
        "Url": WEBHOOK,
        "UrlMethod": "POST",
        "StatusCallback": WEBHOOK + "&kind=status",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": "initiated ringing answered completed",
    }


def test_place_call_asks_for_machine_detection_when_told(carrier: CarrierServer) -> None:
    carrier.answer(200, {"call_sid": CALL_SID})
    call = OutboundCall("+14155550100", "+14155550199", WEBHOOK, WEBHOOK, machine_detection=True)

    run(carrier.url, lambda provider: provider.place_call(call))

    assert carrier.requests[0].json()["MachineDetection"] == "Enable"


def test_a_call_that_leaves_a_message_waits_for_the_beep(carrier: CarrierServer) -> None:
    carrier.answer(200, {"call_sid": CALL_SID})
    call = OutboundCall(
        "+14155550100", "+14155550199", WEBHOOK, WEBHOOK, machine_detection=True, wait_for_beep=True
    )

    run(carrier.url, lambda provider: provider.place_call(call))

    assert carrier.requests[0].json()["MachineDetection"] == "DetectMessageEnd"


def test_a_call_sid_wrapped_in_data_is_found(carrier: CarrierServer) -> None:
    carrier.answer(200, {"data": {"call_sid": CALL_SID, "status": "queued"}})

    assert run(carrier.url, lambda provider: provider.place_call(CALL)) == CALL_SID


def test_an_answer_without_a_call_sid_is_an_api_error(carrier: CarrierServer) -> None:
    carrier.answer(200, {"from": "+14155550199", "to": "+14155550100", "status": "queued"})

    with pytest.raises(ProviderAPIError, match="no call_sid"):
        run(carrier.url, lambda provider: provider.place_call(CALL))


def test_hang_up_updates_the_status_to_completed(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": CALL_SID, "account_sid": ACCOUNT_SID, "status": "completed"})

    run(carrier.url, lambda provider: provider.hang_up(CALL_SID))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", CALL_PATH)
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json() == {"Status": "completed"}


@pytest.mark.parametrize(
    ("ours", "sdk"),
    [
        (lambda provider: provider.hang_up(CALL_SID), {"status": "completed"}),
        (lambda provider: provider.redirect(CALL_SID, WEBHOOK), {"url": WEBHOOK, "method": "POST"}),
        (
            lambda provider: provider.send_digits(CALL_SID, "1", WEBHOOK),
            {"texml": dtmf_then_redirect("telnyx", "1", WEBHOOK)},
        ),
    ],
    ids=["hang-up", "redirect", "send-digits"],
)
def test_updates_go_where_telnyxs_own_sdk_sends_them(
    carrier: CarrierServer, ours: Callable[[TelnyxProvider], Awaitable[None]], sdk: dict[str, str]
) -> None:
    carrier.answer(200, {"sid": CALL_SID, "status": "in-progress"})
    carrier.answer(200, {"sid": CALL_SID, "status": "in-progress"})

    run(carrier.url, ours)
    client = Telnyx(api_key=API_KEY, base_url=f"{carrier.url}/v2", max_retries=0)
    client.texml.accounts.calls.update(CALL_SID, account_sid=ACCOUNT_SID, **sdk)

    # The SDK leaves the sid's colon as it is, which a path may hold; we encode it.
    mine, official = carrier.requests
    assert (mine.method, unquote(mine.path), mine.json()) == (official.method, official.path, official.json())
    assert mine.headers["authorization"] == official.headers["authorization"] == f"Bearer {API_KEY}"


def test_hang_up_of_a_call_telnyx_no_longer_knows_is_fine(carrier: CarrierServer) -> None:
    carrier.answer(404, {"errors": [{"code": "10005", "title": "Resource not found", "detail": "not found"}]})

    run(carrier.url, lambda provider: provider.hang_up(CALL_SID))

    assert len(carrier.requests) == 1


def test_send_digits_updates_the_call_with_inline_texml(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": CALL_SID, "status": "in-progress"})
    resume = "https://calls.example.com/voice/webhook?call=c1&step=menu"

    run(carrier.url, lambda provider: provider.send_digits(CALL_SID, "ww12#", resume))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", CALL_PATH)
    texml = request.json()["Texml"]
    assert texml == dtmf_then_redirect("telnyx", "ww12#", resume)
    assert '<Play digits="ww12#"/>' in texml
    assert "call=c1&amp;step=menu</Redirect>" in texml


def test_redirect_points_the_call_at_the_new_url(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": CALL_SID, "status": "in-progress"})

    run(carrier.url, lambda provider: provider.redirect(CALL_SID, WEBHOOK + "&step=next"))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", CALL_PATH)
    assert request.json() == {"Url": WEBHOOK + "&step=next", "Method": "POST"}


def test_an_error_answer_carries_telnyxs_detail_and_never_the_key(carrier: CarrierServer) -> None:
    detail = f"The 'To' number is invalid (key {API_KEY})"
    carrier.answer(422, {"errors": [{"code": "10016", "title": "Invalid value", "detail": detail}]})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.place_call(CALL))

    error = caught.value
    assert (error.provider, error.status) == ("telnyx", 422)
    assert "The 'To' number is invalid" in error.detail
    assert API_KEY not in str(error)


def test_an_error_without_a_detail_gives_its_title(carrier: CarrierServer) -> None:
    carrier.answer(401, {"errors": [{"code": "10009", "title": "Authentication failed"}]})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.send_digits(CALL_SID, "1", WEBHOOK))

    assert (caught.value.status, caught.value.detail) == (401, "Authentication failed")


def test_a_refused_connection_is_unreachable() -> None:
    with refusing_port() as port, pytest.raises(ProviderUnreachable) as caught:
        run(f"http://127.0.0.1:{port}", lambda provider: provider.hang_up(CALL_SID))

    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("api_key", "connection_id", "account_sid", "setting"),
    [
        (None, CONNECTION_ID, ACCOUNT_SID, "telnyx.api_key"),
        (API_KEY, "", ACCOUNT_SID, "telnyx.connection_id"),
        (API_KEY, CONNECTION_ID, None, "telnyx.account_sid"),
    ],
)
def test_missing_settings_are_named(
    api_key: str | None, connection_id: str | None, account_sid: str | None, setting: str
) -> None:
    with pytest.raises(ProviderConfigError) as caught:
        TelnyxProvider(api_key, connection_id, account_sid)

    assert str(caught.value) == f"telnyx: the setting {setting} is missing"


# Webhooks


def test_an_outbound_answer_webhook(telnyx: TelnyxProvider) -> None:
    params = {
        "AccountSid": "f5586561-8ff0-4291-a51b-c7dfe4139ff9",
        "CallSid": CALL_SID,
        "CallStatus": "in-progress",
        "From": "+14155550199",
        "To": "+14155550100",
        "Direction": "outbound",
    }

    assert telnyx.parse_webhook(params, WebhookKind.ANSWER) == CarrierWebhook(
        carrier_call_id=CALL_SID,
        kind=WebhookKind.ANSWER,
        status="answered",
        from_number="+14155550199",
        to_number="+14155550100",
    )


def test_an_inbound_call_says_so(telnyx: TelnyxProvider) -> None:
    params = {"CallSid": CALL_SID, "CallStatus": "ringing", "Direction": "inbound"}

    assert telnyx.parse_webhook(params, WebhookKind.ANSWER).inbound is True


def test_a_gather_with_digits(telnyx: TelnyxProvider) -> None:
    webhook = telnyx.parse_webhook(
        {"CallSid": CALL_SID, "Digits": "1", "SpeechResult": ""}, WebhookKind.GATHER
    )

    assert (webhook.digits, webhook.speech) == ("1", None)


def test_a_gather_with_speech_and_its_confidence(telnyx: TelnyxProvider) -> None:
    params = {"CallSid": CALL_SID, "SpeechResult": "Please connect me to sales", "Confidence": "0.95"}

    webhook = telnyx.parse_webhook(params, WebhookKind.GATHER)

    assert (webhook.speech, webhook.confidence, webhook.digits) == ("Please connect me to sales", 0.95, None)


@pytest.mark.parametrize(
    ("call_status", "status", "end_reason"),
    [
        ("queued", "", None),
        ("initiated", "", None),
        ("ringing", "ringing", None),
        ("in-progress", "answered", None),
        ("completed", "ended", EndReason.COMPLETED),
        ("busy", "ended", EndReason.BUSY),
        ("no-answer", "ended", EndReason.NO_ANSWER),
        ("failed", "ended", EndReason.FAILED),
        ("canceled", "ended", EndReason.HANGUP_BOT),
        ("", "", None),
        ("exploded", "", None),
    ],
)
def test_call_statuses_map_onto_the_runners(
    telnyx: TelnyxProvider, call_status: str, status: str, end_reason: EndReason | None
) -> None:
    webhook = telnyx.parse_webhook({"CallSid": CALL_SID, "CallStatus": call_status}, WebhookKind.STATUS)

    assert (webhook.status, webhook.end_reason) == (status, end_reason)


@pytest.mark.parametrize(
    ("answered_by", "machine"),
    [("machine", True), ("machine_start", True), ("machine_end_beep", True), ("fax", True), ("human", False)],
)
def test_answering_machine_detection(telnyx: TelnyxProvider, answered_by: str, machine: bool) -> None:
    params = {"CallSid": CALL_SID, "CallStatus": "in-progress", "AnsweredBy": answered_by}

    assert telnyx.parse_webhook(params, WebhookKind.STATUS).machine is machine
    assert telnyx.parse_webhook(params, WebhookKind.STATUS).answered_by == ("machine" if machine else "human")


@pytest.mark.parametrize("params", [{"CallStatus": "ringing"}, {"CallSid": "", "CallStatus": "ringing"}])
def test_a_webhook_without_a_call_sid_is_malformed(telnyx: TelnyxProvider, params: dict[str, str]) -> None:
    with pytest.raises(WebhookFormatError) as caught:
        telnyx.parse_webhook(params, WebhookKind.STATUS)

    assert (caught.value.provider, caught.value.field) == ("telnyx", "CallSid")


# Ed25519 signatures, with keys made by cryptography

PRIVATE_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = base64.b64encode(PRIVATE_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
NOW = 1_750_000_000.0
TIMESTAMP = "1750000000"
BODY = b"AccountSid=f5586561&CallSid=v3%3A9X2v&CallStatus=completed"


def sign(timestamp: str, body: bytes, key: Ed25519PrivateKey = PRIVATE_KEY) -> str:
    return base64.b64encode(key.sign(f"{timestamp}|".encode() + body)).decode()


def test_a_signature_over_timestamp_and_body_is_valid() -> None:
    assert signature_valid(PUBLIC_KEY, TIMESTAMP, BODY, sign(TIMESTAMP, BODY), NOW)


@pytest.mark.parametrize(
    ("age", "valid"),
    [(0, True), (300, True), (301, False), (-300, True), (-301, False)],
    ids=["now", "300s-old", "301s-old", "300s-ahead", "301s-ahead"],
)
def test_a_timestamp_more_than_300_seconds_away_is_refused(age: int, valid: bool) -> None:
    timestamp = str(int(NOW) - age)

    assert signature_valid(PUBLIC_KEY, timestamp, BODY, sign(timestamp, BODY), NOW) is valid


def test_the_tolerance_can_be_narrowed() -> None:
    timestamp = str(int(NOW) - 60)

    assert not signature_valid(PUBLIC_KEY, timestamp, BODY, sign(timestamp, BODY), NOW, tolerance=30)


def test_a_tampered_body_or_timestamp_is_refused() -> None:
    signature = sign(TIMESTAMP, BODY)

    assert not signature_valid(PUBLIC_KEY, TIMESTAMP, BODY + b"&Digits=1", signature, NOW)
    assert not signature_valid(PUBLIC_KEY, str(int(NOW) - 1), BODY, signature, NOW)


def test_a_signature_by_another_key_is_refused() -> None:
    assert not signature_valid(
        PUBLIC_KEY, TIMESTAMP, BODY, sign(TIMESTAMP, BODY, Ed25519PrivateKey.generate()), NOW
    )


@pytest.mark.parametrize(
    "signature",
    ["", "!!!!", "é", base64.b64encode(b"x" * 10).decode(), base64.b64encode(bytes(64)).decode(), "A" * 4000],
)
def test_a_garbage_signature_is_refused_without_raising(signature: str) -> None:
    assert not signature_valid(PUBLIC_KEY, TIMESTAMP, BODY, signature, NOW)


@pytest.mark.parametrize("public_key", ["", "not base64!", base64.b64encode(bytes(31)).decode(), "é"])
def test_a_garbage_public_key_is_refused_without_raising(public_key: str) -> None:
    assert not signature_valid(public_key, TIMESTAMP, BODY, sign(TIMESTAMP, BODY), NOW)


@pytest.mark.parametrize(
    "timestamp", ["", "17x", "-5", " 1750000000", "1750000000.0", "\u0661\u0667\u0665\u0660", "9" * 40]
)
def test_a_garbage_timestamp_is_refused_without_raising(timestamp: str) -> None:
    assert not signature_valid(PUBLIC_KEY, timestamp, BODY, sign(timestamp, BODY), NOW)


def test_a_clock_that_is_not_a_number_refuses() -> None:
    assert not signature_valid(PUBLIC_KEY, TIMESTAMP, BODY, sign(TIMESTAMP, BODY), float("nan"))
