"""PlivoProvider against a real HTTP server on 127.0.0.1; V3 signatures against the plivo SDK."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from plivo.utils import validate_v3_signature
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

from runner.providers import (
    CarrierWebhook,
    OutboundCall,
    ProviderAPIError,
    ProviderConfigError,
    ProviderUnreachable,
    WebhookFormatError,
    WebhookKind,
)
from runner.providers.plivo import PlivoProvider, signature_valid
from runner.types import EndReason
from tests.runner.providers.carrier_server import CALL, WEBHOOK, CarrierServer, refusing_port, run_provider

AUTH_ID = "MAZDQ1ZJIYMDZKMMZKYM"
TOKEN = "plivo-auth-token-5ecret"
BASIC = "Basic " + base64.b64encode(f"{AUTH_ID}:{TOKEN}".encode()).decode()
ACCOUNT = f"/v1/Account/{AUTH_ID}"
CALL_UUID = "e5a3b3c8-54a4-11ee-8c99-0242ac120002"
T = TypeVar("T")


@pytest.fixture
def plivo() -> Iterator[PlivoProvider]:
    provider = PlivoProvider(AUTH_ID, TOKEN)
    yield provider
    asyncio.run(provider.aclose())


def run(api_base: str, action: Callable[[PlivoProvider], Awaitable[T]]) -> T:
    return run_provider(lambda: PlivoProvider(AUTH_ID, TOKEN, api_base=api_base), action)


# REST


def test_place_call_posts_the_documented_json_and_returns_the_request_uuid(carrier: CarrierServer) -> None:
    carrier.answer(201, {"message": "call fired", "request_uuid": "9834029e", "api_id": "97ceeb52"})

    request_uuid = run(carrier.url, lambda provider: provider.place_call(CALL))

    assert request_uuid == "9834029e"
    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{ACCOUNT}/Call/")
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "from": "+14155550199",
        "to": "+14155550100",
        "answer_url": WEBHOOK,
        "answer_method": "POST",
        "hangup_url": WEBHOOK + "&kind=status",
        "hangup_method": "POST",
        "ring_url": WEBHOOK + "&kind=status",
        "ring_method": "POST",
        "ring_timeout": 25,
    }


def test_place_call_asks_for_machine_detection_when_told(carrier: CarrierServer) -> None:
    carrier.answer(201, {"message": "call fired", "request_uuid": "9834029e"})
    call = OutboundCall(
        "+14155550100", "+14155550199", WEBHOOK, WEBHOOK + "&kind=status", machine_detection=True
    )

    run(carrier.url, lambda provider: provider.place_call(call))

    body = carrier.requests[0].json()
    assert (body["machine_detection"], body["machine_detection_url"], body["machine_detection_method"]) == (
        "true",
        WEBHOOK + "&kind=status",
        "POST",
    )


def test_a_request_uuid_in_a_list_of_one_is_taken_out(carrier: CarrierServer) -> None:
    carrier.answer(201, {"message": "call fired", "request_uuid": ["9834029e"]})

    assert run(carrier.url, lambda provider: provider.place_call(CALL)) == "9834029e"


def test_an_answer_without_a_request_uuid_is_an_api_error(carrier: CarrierServer) -> None:
    carrier.answer(201, {"message": "call fired"})

    with pytest.raises(ProviderAPIError, match="no request_uuid"):
        run(carrier.url, lambda provider: provider.place_call(CALL))


def test_hang_up_deletes_the_call(carrier: CarrierServer) -> None:
    carrier.answer(204)

    run(carrier.url, lambda provider: provider.hang_up(CALL_UUID))

    [request] = carrier.requests
    assert (request.method, request.path) == ("DELETE", f"{ACCOUNT}/Call/{CALL_UUID}/")
    assert request.headers["authorization"] == BASIC


def test_hang_up_of_a_call_not_yet_up_cancels_its_request(carrier: CarrierServer) -> None:
    carrier.answer(404, {"api_id": "a1", "error": "call not found"})
    carrier.answer(204)

    run(carrier.url, lambda provider: provider.hang_up("9834029e"))

    assert [(request.method, request.path) for request in carrier.requests] == [
        ("DELETE", f"{ACCOUNT}/Call/9834029e/"),
        ("DELETE", f"{ACCOUNT}/Request/9834029e/"),
    ]


def test_hang_up_of_a_call_plivo_no_longer_knows_is_fine(carrier: CarrierServer) -> None:
    carrier.answer(404, {"api_id": "a1", "error": "call not found"})
    carrier.answer(404, {"api_id": "a2", "error": "request not found"})

    run(carrier.url, lambda provider: provider.hang_up(CALL_UUID))

    assert len(carrier.requests) == 2


def test_send_digits_posts_them_to_the_dtmf_endpoint(carrier: CarrierServer) -> None:
    carrier.answer(202, {"message": "digits sent", "api_id": "a1"})

    run(carrier.url, lambda provider: provider.send_digits(CALL_UUID, "ww12#", WEBHOOK))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{ACCOUNT}/Call/{CALL_UUID}/DTMF/")
    assert request.headers["authorization"] == BASIC
    assert request.json() == {"digits": "ww12#"}


def test_redirect_transfers_the_a_leg_to_the_new_url(carrier: CarrierServer) -> None:
    carrier.answer(202, {"message": "call transferred", "api_id": "a1"})

    run(carrier.url, lambda provider: provider.redirect(CALL_UUID, WEBHOOK + "&step=next"))

    [request] = carrier.requests
    assert (request.method, request.path) == ("POST", f"{ACCOUNT}/Call/{CALL_UUID}/")
    assert request.json() == {"legs": "aleg", "aleg_url": WEBHOOK + "&step=next", "aleg_method": "POST"}


def test_an_error_answer_carries_plivos_error_and_never_the_token(carrier: CarrierServer) -> None:
    carrier.answer(400, {"api_id": "a1", "error": f"invalid 'to' number (auth {TOKEN} / {BASIC[6:]})"})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.place_call(CALL))

    error = caught.value
    assert (error.provider, error.status) == ("plivo", 400)
    assert "invalid 'to' number" in error.detail
    assert TOKEN not in str(error)
    assert BASIC[6:] not in str(error)


def test_a_field_by_field_error_is_kept_whole(carrier: CarrierServer) -> None:
    carrier.answer(400, {"api_id": "a1", "error": {"to": ["This field is required."]}})

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.place_call(CALL))

    assert caught.value.detail == '{"to":["This field is required."]}'


def test_a_server_error_on_hang_up_is_an_error(carrier: CarrierServer) -> None:
    carrier.answer(500, text="Internal Server Error")

    with pytest.raises(ProviderAPIError) as caught:
        run(carrier.url, lambda provider: provider.hang_up(CALL_UUID))

    assert (caught.value.status, caught.value.detail) == (500, "Internal Server Error")


def test_a_refused_connection_is_unreachable() -> None:
    with refusing_port() as port, pytest.raises(ProviderUnreachable):
        run(f"http://127.0.0.1:{port}", lambda provider: provider.send_digits(CALL_UUID, "1", WEBHOOK))


@pytest.mark.parametrize(
    ("auth_id", "auth_token", "setting"),
    [(None, TOKEN, "plivo.auth_id"), (AUTH_ID, "", "plivo.auth_token")],
)
def test_missing_credentials_name_the_setting(
    auth_id: str | None, auth_token: str | None, setting: str
) -> None:
    with pytest.raises(ProviderConfigError, match=setting):
        PlivoProvider(auth_id, auth_token)


# Webhooks


def test_an_outbound_answer_webhook(plivo: PlivoProvider) -> None:
    params = {
        "CallUUID": CALL_UUID,
        "CallStatus": "in-progress",
        "From": "+14155550199",
        "To": "+14155550100",
        "Direction": "outbound",
        "RequestUUID": "9834029e",
    }

    assert plivo.parse_webhook(params, WebhookKind.ANSWER) == CarrierWebhook(
        carrier_call_id=CALL_UUID,
        kind=WebhookKind.ANSWER,
        status="answered",
        from_number="+14155550199",
        to_number="+14155550100",
    )


def test_an_inbound_call_says_so(plivo: PlivoProvider) -> None:
    params = {"CallUUID": CALL_UUID, "CallStatus": "ringing", "Direction": "inbound"}

    assert plivo.parse_webhook(params, WebhookKind.ANSWER).inbound is True


def test_a_get_input_with_digits(plivo: PlivoProvider) -> None:
    params = {
        "CallUUID": CALL_UUID,
        "InputType": "dtmf",
        "Digits": "7",
        "Speech": "",
        "SpeechConfidenceScore": "",
    }

    webhook = plivo.parse_webhook(params, WebhookKind.GATHER)

    assert (webhook.digits, webhook.speech, webhook.confidence) == ("7", None, None)


def test_a_get_input_with_speech_and_its_confidence(plivo: PlivoProvider) -> None:
    params = {
        "CallUUID": CALL_UUID,
        "InputType": "speech",
        "Digits": "",
        "Speech": "book a table",
        "SpeechConfidenceScore": "0.87",
    }

    webhook = plivo.parse_webhook(params, WebhookKind.GATHER)

    assert (webhook.speech, webhook.confidence, webhook.digits) == ("book a table", 0.87, None)


@pytest.mark.parametrize(
    ("call_status", "direction", "status", "end_reason"),
    [
        ("ringing", "outbound", "ringing", None),
        ("in-progress", "outbound", "answered", None),
        ("completed", "outbound", "ended", EndReason.COMPLETED),
        ("busy", "outbound", "ended", EndReason.BUSY),
        ("failed", "outbound", "ended", EndReason.FAILED),
        ("timeout", "outbound", "ended", EndReason.NO_ANSWER),
        ("no-answer", "outbound", "ended", EndReason.NO_ANSWER),
        ("cancel", "outbound", "ended", EndReason.HANGUP_BOT),
        ("cancel", "inbound", "ended", EndReason.HANGUP_USER),
        ("", "outbound", "", None),
        ("exploded", "outbound", "", None),
    ],
)
def test_call_statuses_map_onto_the_runners(
    plivo: PlivoProvider, call_status: str, direction: str, status: str, end_reason: EndReason | None
) -> None:
    params = {"CallUUID": CALL_UUID, "CallStatus": call_status, "Direction": direction}

    webhook = plivo.parse_webhook(params, WebhookKind.STATUS)

    assert (webhook.status, webhook.end_reason) == (status, end_reason)


@pytest.mark.parametrize(
    ("fields", "machine"),
    [
        ({"Machine": "true", "Event": "MachineDetection"}, True),
        ({"Machine": "True"}, True),
        ({"Machine": "false"}, False),
        ({"AnsweredBy": "machine_start"}, True),
        ({"AnsweredBy": "human"}, False),
        ({}, False),
    ],
)
def test_machine_detection(plivo: PlivoProvider, fields: dict[str, str], machine: bool) -> None:
    params = {"CallUUID": CALL_UUID, "CallStatus": "in-progress", **fields}

    assert plivo.parse_webhook(params, WebhookKind.STATUS).machine is machine


@pytest.mark.parametrize(
    ("fields", "said_by"),
    [
        ({"Machine": "true"}, "machine"),
        ({"Machine": "false"}, "human"),
        ({"AnsweredBy": "human"}, "human"),
        ({}, None),
    ],
)
def test_who_answered_is_made_common(
    plivo: PlivoProvider, fields: dict[str, str], said_by: str | None
) -> None:
    params = {"CallUUID": CALL_UUID, "CallStatus": "in-progress", **fields}

    assert plivo.parse_webhook(params, WebhookKind.STATUS).answered_by == said_by


@pytest.mark.parametrize("params", [{"CallStatus": "ringing"}, {"CallUUID": "", "CallStatus": "ringing"}])
def test_a_webhook_without_a_call_uuid_is_malformed(plivo: PlivoProvider, params: dict[str, str]) -> None:
    with pytest.raises(WebhookFormatError) as caught:
        plivo.parse_webhook(params, WebhookKind.STATUS)

    assert (caught.value.provider, caught.value.field) == ("plivo", "CallUUID")


# V3 signatures, with the official SDK as the oracle

NONCE = "05429567804466091622"
PARAMS = {"CallUUID": CALL_UUID, "Digits": "42", "Speech": "ça & 1+1=2", "From": "+14155550100"}


def oracle_signature(url: str, params: dict[str, str], nonce: str = NONCE) -> str:
    signed_url = construct_post_url(url, dict(params)).decode()
    signature: bytes = get_signature_v3(TOKEN.encode(), signed_url, nonce.encode())
    return signature.decode()


def oracle_valid(url: str, params: dict[str, str], header: str) -> bool:
    valid: bool = validate_v3_signature("POST", url, NONCE, TOKEN, header, dict(params))
    return valid


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("https://calls.example.com/voice/webhook?call=c1&kind=gather", PARAMS),
        ("https://calls.example.com/voice/webhook", PARAMS),
        ("https://calls.example.com/voice/webhook?call=c1&kind=gather", {}),
        ("https://calls.example.com/voice/webhook", {}),
        ("https://calls.example.com/voice/webhook?b=2&a=x%20y&a=1&empty=", PARAMS),
    ],
    ids=["query-and-form", "form-only", "query-only", "neither", "repeated-and-encoded-query"],
)
def test_a_signature_the_sdk_computes_is_valid(url: str, params: dict[str, str]) -> None:
    signature = oracle_signature(url, params)

    assert signature_valid(TOKEN, url, NONCE, list(params.items()), signature)
    assert oracle_valid(url, params, signature)


def test_one_valid_signature_among_several_is_enough() -> None:
    url = "https://calls.example.com/voice/webhook?call=c1"
    good = oracle_signature(url, PARAMS)
    header = ",".join(
        [oracle_signature(url, PARAMS, nonce="other"), good, base64.b64encode(b"x" * 32).decode()]
    )

    assert signature_valid(TOKEN, url, NONCE, list(PARAMS.items()), header)
    assert oracle_valid(url, PARAMS, header)


def test_repeated_form_fields_are_signed_as_the_sdk_signs_them() -> None:
    url = "https://calls.example.com/voice/webhook"
    signed_url = construct_post_url(url, {"Tag": ["b", "a"], "From": "+14155550100"}).decode()
    signature = get_signature_v3(TOKEN.encode(), signed_url, NONCE.encode()).decode()
    fields = [("Tag", "b"), ("From", "+14155550100"), ("Tag", "a")]

    assert signature_valid(TOKEN, url, NONCE, fields, signature)


def test_a_tampered_field_is_refused() -> None:
    url = "https://calls.example.com/voice/webhook?call=c1"
    signature = oracle_signature(url, PARAMS)
    tampered = {**PARAMS, "Digits": "43"}

    assert not signature_valid(TOKEN, url, NONCE, list(tampered.items()), signature)
    assert not oracle_valid(url, tampered, signature)


def test_another_nonce_query_or_token_is_refused() -> None:
    url = "https://calls.example.com/voice/webhook?call=c1"
    signature = oracle_signature(url, PARAMS)

    assert not signature_valid(TOKEN, url, "another-nonce", list(PARAMS.items()), signature)
    assert not signature_valid(TOKEN, url + "&x=1", NONCE, list(PARAMS.items()), signature)
    assert not signature_valid("another-token", url, NONCE, list(PARAMS.items()), signature)


@pytest.mark.parametrize("header", ["", ",,,", "é", "not base64", "\x00" * 44])
def test_a_garbage_header_is_refused_without_raising(header: str) -> None:
    assert not signature_valid(TOKEN, "https://calls.example.com/v", NONCE, list(PARAMS.items()), header)


@pytest.mark.parametrize(
    ("url", "nonce", "params"),
    [
        ("https://[::1/voice", NONCE, [("Digits", "1")]),
        ("https://calls.example.com/v", "\udc80", [("Digits", "1")]),
        ("https://calls.example.com/v", NONCE, [("Digits", "\udc80")]),
    ],
)
def test_garbage_input_is_refused_without_raising(
    url: str, nonce: str, params: list[tuple[str, str]]
) -> None:
    assert not signature_valid(TOKEN, url, nonce, params, oracle_signature("https://calls.example.com/v", {}))
