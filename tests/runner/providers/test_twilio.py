"""TwilioProvider against a real HTTP server on 127.0.0.1; signatures against the twilio SDK."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from twilio.request_validator import RequestValidator

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
from runner.providers.twilio import TwilioProvider, signature_valid
from runner.types import EndReason
from tests.runner.providers.carrier_server import CALL, WEBHOOK, CarrierServer, refusing_port, run_provider

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-5ecret"
BASIC = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
CALLS = f"/2010-04-01/Accounts/{SID}/Calls"
T = TypeVar("T")


@pytest.fixture
def twilio() -> Iterator[TwilioProvider]:
    provider = TwilioProvider(SID, TOKEN)
    yield provider
    asyncio.run(provider.aclose())


def run(api_base: str, action: Callable[[TwilioProvider], Awaitable[T]]) -> T:
    return run_provider(lambda: TwilioProvider(SID, TOKEN, api_base=api_base), action)


# REST


def test_place_call_posts_the_documented_form_and_returns_the_sid(carrier: CarrierServer) -> None:
    carrier.answer(201, {"sid": "CA42", "status": "queued"})

    sid = run(carrier.url, lambda provider: provider.place_call(CALL))

    assert sid == "CA42"
    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{CALLS}.json")
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": ["+14155550100"],
        "From": ["+14155550199"],
        "Url": [WEBHOOK],
        "Method": ["POST"],
        "StatusCallback": [WEBHOOK + "&kind=status"],
        "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "Timeout": ["25"],
    }


def test_place_call_asks_for_machine_detection_when_told(carrier: CarrierServer) -> None:
    carrier.answer(201, {"sid": "CA42"})
    call = OutboundCall("+14155550100", "+14155550199", WEBHOOK, WEBHOOK, machine_detection=True)

    run(carrier.url, lambda provider: provider.place_call(call))

    assert carrier.requests[0].form()["MachineDetection"] == ["Enable"]


def test_a_call_that_leaves_a_message_waits_for_the_beep(carrier: CarrierServer) -> None:
    carrier.answer(201, {"sid": "CA42"})
    call = OutboundCall(
        "+14155550100", "+14155550199", WEBHOOK, WEBHOOK, machine_detection=True, wait_for_beep=True
    )

    run(carrier.url, lambda provider: provider.place_call(call))

    assert carrier.requests[0].form()["MachineDetection"] == ["DetectMessageEnd"]


def test_no_machine_detection_unless_told(carrier: CarrierServer) -> None:
    carrier.answer(201, {"sid": "CA42"})
    call = OutboundCall("+14155550100", "+14155550199", WEBHOOK, WEBHOOK)

    run(carrier.url, lambda provider: provider.place_call(call))

    assert "MachineDetection" not in carrier.requests[0].form()


def test_an_answer_without_a_sid_is_an_api_error(carrier: CarrierServer) -> None:
    carrier.answer(201, {"status": "queued"})

    with pytest.raises(ProviderAPIError, match="no call sid"):
        run(carrier.url, lambda provider: provider.place_call(CALL))


def test_hang_up_sets_the_status_to_completed(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": "CA42", "status": "completed"})

    run(carrier.url, lambda provider: provider.hang_up("CA42"))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{CALLS}/CA42.json")
    assert request.headers["authorization"] == BASIC
    assert request.form() == {"Status": ["completed"]}


def test_hang_up_of_a_call_twilio_no_longer_knows_is_fine(carrier: CarrierServer) -> None:
    carrier.answer(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})

    run(carrier.url, lambda provider: provider.hang_up("CA42"))

    assert len(carrier.requests) == 1


def test_send_digits_updates_the_call_with_inline_twiml(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": "CA42"})
    resume = "https://calls.example.com/voice/webhook?call=c1&step=menu"

    run(carrier.url, lambda provider: provider.send_digits("CA42", "ww12#", resume))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{CALLS}/CA42.json")
    [twiml] = request.form()["Twiml"]
    assert twiml == dtmf_then_redirect("twilio", "ww12#", resume)
    assert '<Play digits="ww12#"/>' in twiml
    assert "call=c1&amp;step=menu</Redirect>" in twiml


def test_send_digits_to_a_call_that_is_gone_is_an_error(carrier: CarrierServer) -> None:
    carrier.answer(404, {"code": 20404, "message": "The requested resource was not found"})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.send_digits("CA42", "1", WEBHOOK))

    assert caught.value.status == 404


def test_redirect_points_the_call_at_the_new_url(carrier: CarrierServer) -> None:
    carrier.answer(200, {"sid": "CA42"})

    run(carrier.url, lambda provider: provider.redirect("CA42", WEBHOOK + "&step=next"))

    assert carrier.requests[0].form() == {"Url": [WEBHOOK + "&step=next"], "Method": ["POST"]}


def test_an_error_answer_carries_twilios_message_and_never_the_token(carrier: CarrierServer) -> None:
    message = f"The 'To' number +1 is not a valid phone number (token {TOKEN}, header {BASIC[6:]})"
    carrier.answer(400, {"code": 21211, "message": message, "status": 400})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.place_call(CALL))

    error = caught.value
    assert (error.provider, error.status) == ("twilio", 400)
    assert "is not a valid phone number" in error.detail
    assert TOKEN not in str(error)
    assert BASIC[6:] not in str(error)


def test_an_error_answer_that_is_not_json_keeps_its_text(carrier: CarrierServer) -> None:
    carrier.answer(503, text="Service Unavailable")

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.hang_up("CA42"))

    assert (caught.value.status, caught.value.detail) == (503, "Service Unavailable")


def test_a_refused_connection_is_unreachable() -> None:
    with refusing_port() as port, pytest.raises(ProviderUnreachable) as caught:
        run(f"http://127.0.0.1:{port}", lambda provider: provider.place_call(CALL))

    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("account_sid", "auth_token", "setting"),
    [
        (None, TOKEN, "twilio.account_sid"),
        ("", TOKEN, "twilio.account_sid"),
        (SID, None, "twilio.auth_token"),
    ],
)
def test_missing_credentials_name_the_setting(
    account_sid: str | None, auth_token: str | None, setting: str
) -> None:
    with pytest.raises(ProviderConfigError, match=setting):
        TwilioProvider(account_sid, auth_token)


def test_aclose_leaves_a_client_it_was_given_open(carrier: CarrierServer) -> None:
    async def go() -> bool:
        async with httpx.AsyncClient() as client:
            provider = TwilioProvider(SID, TOKEN, api_base=carrier.url, client=client)
            await provider.aclose()
            return client.is_closed

    assert asyncio.run(go()) is False


# Webhooks


def test_an_outbound_answer_webhook(twilio: TwilioProvider) -> None:
    params = {
        "CallSid": "CA42",
        "CallStatus": "in-progress",
        "From": "+14155550199",
        "To": "+14155550100",
        "Direction": "outbound-api",
        "AnsweredBy": "human",
    }

    assert twilio.parse_webhook(params, WebhookKind.ANSWER) == CarrierWebhook(
        carrier_call_id="CA42",
        kind=WebhookKind.ANSWER,
        status="answered",
        from_number="+14155550199",
        to_number="+14155550100",
        answered_by="human",
    )


def test_an_inbound_call_says_so(twilio: TwilioProvider) -> None:
    params = {"CallSid": "CA42", "CallStatus": "ringing", "Direction": "inbound", "From": "+14155550100"}

    webhook = twilio.parse_webhook(params, WebhookKind.ANSWER)

    assert (webhook.inbound, webhook.status, webhook.from_number) == (True, "ringing", "+14155550100")


def test_a_gather_with_digits(twilio: TwilioProvider) -> None:
    params = {"CallSid": "CA42", "CallStatus": "in-progress", "Digits": "42", "SpeechResult": ""}

    webhook = twilio.parse_webhook(params, WebhookKind.GATHER)

    assert (webhook.kind, webhook.digits, webhook.speech, webhook.confidence) == (
        WebhookKind.GATHER,
        "42",
        None,
        None,
    )


def test_a_gather_with_speech_and_its_confidence(twilio: TwilioProvider) -> None:
    params = {"CallSid": "CA42", "SpeechResult": "book a table", "Confidence": "0.91", "Digits": ""}

    webhook = twilio.parse_webhook(params, WebhookKind.GATHER)

    assert (webhook.speech, webhook.confidence, webhook.digits) == ("book a table", 0.91, None)


@pytest.mark.parametrize("confidence", ["high", "nan", "inf", ""])
def test_a_confidence_that_is_no_number_is_left_out(twilio: TwilioProvider, confidence: str) -> None:
    params = {"CallSid": "CA42", "SpeechResult": "yes", "Confidence": confidence}

    assert twilio.parse_webhook(params, WebhookKind.GATHER).confidence is None


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
        ("Completed", "", None),
    ],
)
def test_call_statuses_map_onto_the_runners(
    twilio: TwilioProvider, call_status: str, status: str, end_reason: EndReason | None
) -> None:
    webhook = twilio.parse_webhook({"CallSid": "CA42", "CallStatus": call_status}, WebhookKind.STATUS)

    assert (webhook.status, webhook.end_reason) == (status, end_reason)


@pytest.mark.parametrize(
    ("answered_by", "machine"),
    [
        ("machine_start", True),
        ("machine_end_beep", True),
        ("machine_end_silence", True),
        ("machine_end_other", True),
        ("fax", True),
        ("human", False),
        ("unknown", False),
        ("", False),
    ],
)
def test_answering_machine_detection(twilio: TwilioProvider, answered_by: str, machine: bool) -> None:
    params = {"CallSid": "CA42", "CallStatus": "in-progress", "AnsweredBy": answered_by}

    assert twilio.parse_webhook(params, WebhookKind.ANSWER).machine is machine


@pytest.mark.parametrize(
    ("answered_by", "said_by"),
    [
        ("machine_end_beep", "machine"),
        ("fax", "machine"),
        ("human", "human"),
        ("unknown", "unknown"),
        ("", None),
    ],
)
def test_who_answered_is_made_common(twilio: TwilioProvider, answered_by: str, said_by: str | None) -> None:
    params = {"CallSid": "CA42", "CallStatus": "in-progress", "AnsweredBy": answered_by}

    assert twilio.parse_webhook(params, WebhookKind.ANSWER).answered_by == said_by


@pytest.mark.parametrize("params", [{"CallStatus": "ringing"}, {"CallSid": "", "CallStatus": "ringing"}])
def test_a_webhook_without_a_call_sid_is_malformed(twilio: TwilioProvider, params: dict[str, str]) -> None:
    with pytest.raises(WebhookFormatError) as caught:
        twilio.parse_webhook(params, WebhookKind.STATUS)

    assert (caught.value.provider, caught.value.field) == ("twilio", "CallSid")


# Signatures, with the official SDK's RequestValidator as the oracle

URL = "https://calls.example.com/voice/webhook?call=c1&kind=gather"
PARAMS = {
    "CallSid": "CA42",
    "Digits": "42",
    "From": "+14155550100",
    "To": "+14155550199",
    "SpeechResult": "ça & 1+1=2",
}
ORACLE = RequestValidator(TOKEN)


class MultiDict(dict[str, list[str]]):
    """Repeated form fields, the way the SDK reads them (``getlist``)."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def test_a_signature_the_sdk_computes_is_valid() -> None:
    signature = ORACLE.compute_signature(URL, PARAMS)

    assert signature_valid(TOKEN, URL, list(PARAMS.items()), signature)
    assert ORACLE.validate(URL, PARAMS, signature)


def test_the_order_the_fields_arrive_in_does_not_matter() -> None:
    signature = ORACLE.compute_signature(URL, PARAMS)

    assert signature_valid(TOKEN, URL, list(reversed(PARAMS.items())), signature)


def test_repeated_fields_are_signed_as_the_sdk_signs_them() -> None:
    fields = [("Tag", "b"), ("From", "+14155550100"), ("Tag", "a")]
    signature = ORACLE.compute_signature(URL, MultiDict({"Tag": ["b", "a"], "From": ["+14155550100"]}))

    assert signature_valid(TOKEN, URL, fields, signature)


@pytest.mark.parametrize(
    ("signed_url", "received_url"),
    [
        (
            "https://calls.example.com:443/voice/webhook?call=c1",
            "https://calls.example.com/voice/webhook?call=c1",
        ),
        (
            "https://calls.example.com/voice/webhook?call=c1",
            "https://calls.example.com:443/voice/webhook?call=c1",
        ),
        ("http://calls.example.com:80/voice/webhook", "http://calls.example.com/voice/webhook"),
        ("http://calls.example.com/voice/webhook", "http://calls.example.com:80/voice/webhook"),
    ],
)
def test_the_default_port_may_be_there_or_not(signed_url: str, received_url: str) -> None:
    signature = ORACLE.compute_signature(signed_url, PARAMS)

    assert signature_valid(TOKEN, received_url, list(PARAMS.items()), signature)
    assert ORACLE.validate(received_url, PARAMS, signature)


def test_another_port_must_match() -> None:
    # Stricter than the SDK, which drops any port: a non-default one is part of the URL signed.
    signature = ORACLE.compute_signature("https://calls.example.com:8443/voice/webhook", PARAMS)

    assert signature_valid(
        TOKEN, "https://calls.example.com:8443/voice/webhook", list(PARAMS.items()), signature
    )
    assert not signature_valid(
        TOKEN, "https://calls.example.com/voice/webhook", list(PARAMS.items()), signature
    )


def test_a_tampered_field_is_refused() -> None:
    signature = ORACLE.compute_signature(URL, PARAMS)
    tampered = {**PARAMS, "Digits": "43"}

    assert not signature_valid(TOKEN, URL, list(tampered.items()), signature)
    assert not ORACLE.validate(URL, tampered, signature)


def test_another_url_or_token_is_refused() -> None:
    signature = ORACLE.compute_signature(URL, PARAMS)

    assert not signature_valid(TOKEN, URL + "&x=1", list(PARAMS.items()), signature)
    assert not signature_valid("another-token", URL, list(PARAMS.items()), signature)


@pytest.mark.parametrize(
    "signature",
    ["", "not base64 at all", "é" * 28, "\x00" * 28, "AAAA", ORACLE.compute_signature(URL, PARAMS)[:-2]],
)
def test_a_garbage_signature_is_refused_without_raising(signature: str) -> None:
    assert not signature_valid(TOKEN, URL, list(PARAMS.items()), signature)


@pytest.mark.parametrize("url", ["not a url", "https://[::1/voice", "https://calls.example.com:99999/x", ""])
def test_a_garbage_url_is_refused_without_raising(url: str) -> None:
    assert not signature_valid(TOKEN, url, list(PARAMS.items()), ORACLE.compute_signature(URL, PARAMS))


def test_a_field_that_is_no_text_is_refused_without_raising() -> None:
    fields = [("Digits", "\udc80")]

    assert not signature_valid(TOKEN, URL, fields, ORACLE.compute_signature(URL, PARAMS))
