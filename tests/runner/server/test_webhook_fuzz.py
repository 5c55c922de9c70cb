"""Whatever reaches the webhook, the answer is a 4xx or a document, never a 5xx; an
unsigned or forged request is refused and leaves the store as it was."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from runner.service import InboundSettings
from tests.runner.server.harness import SIGNING_KEY, Running, running_server

FIELDS = [
    "CallSid",
    "CallStatus",
    "From",
    "To",
    "Direction",
    "Digits",
    "SpeechResult",
    "Confidence",
    "AnsweredBy",
]
text = st.text(max_size=40)
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), text, max_size=8)
queries = st.dictionaries(st.sampled_from(["call_id", "turn", "event", "x"]), text, max_size=3)
header_names = st.sampled_from(
    ["X-Twilio-Signature", "Content-Type", "X-Forwarded-Host", "X-Forwarded-Proto", "Host"]
)
headers = st.dictionaries(
    header_names,
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    max_size=4,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    with running_server(data_dir, inbound=InboundSettings(policy="open", flow="inbound-hotline")) as running:
        yield running


def _store_snapshot(server: Running) -> list[str]:
    async def snapshot() -> list[str]:
        return [repr(record) for record in server.service.store.all()]

    rows: list[str] = server.run(snapshot())
    return rows


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        root = ElementTree.fromstring(response.text)
        assert root.tag == "Response"


SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(form=forms, query=queries, extra=headers, body=st.binary(max_size=300))
def test_unsigned_or_forged_requests_get_a_4xx_and_change_nothing(
    server: Running, form: dict[str, str], query: dict[str, str], extra: dict[str, str], body: bytes
) -> None:
    before = _store_snapshot(server)
    url = f"{server.webhook}?{urlencode(query)}" if query else server.webhook
    content = body or urlencode(form).encode()
    try:
        response = httpx.post(url, content=content, headers=extra, timeout=10)
    except httpx.HTTPError:
        return  # a header httpx itself refuses to send: nothing reached the server
    # Unsigned, or signed by someone without the key: always refused.
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert _store_snapshot(server) == before


@SETTINGS
@given(form=forms, query=queries)
def test_signed_requests_with_arbitrary_fields_never_break_the_server(
    server: Running, form: dict[str, str], query: dict[str, str]
) -> None:
    before = _store_snapshot(server)
    url = f"{server.webhook}?{urlencode(query)}" if query else server.webhook
    signature = RequestValidator(SIGNING_KEY).compute_signature(url, form)
    response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)
    _check(response)
    if response.status_code != 200:
        assert _store_snapshot(server) == before
