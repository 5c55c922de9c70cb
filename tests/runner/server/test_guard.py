"""The webhook pipeline through a real uvicorn on 127.0.0.1: only the carrier gets in, once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from runner.server._guard import GuardLimits
from runner.server._public_url import PublicUrl
from runner.service import InboundSettings
from tests.runner.server.harness import SIGNING_KEY, Running, running_server

OPEN = InboundSettings(policy="open", flow="inbound-hotline")
INBOUND = {"CallSid": "CA-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}
QUICK = GuardLimits(body_seconds=0.5)


def _records(server: Running) -> int:
    async def count() -> int:
        return len(list(server.service.store.all()))

    count_now: int = server.run(count())
    return count_now


def _raw_request(server: Running, head: str, body: bytes = b"") -> socket.socket:
    """A connection that has sent ``head`` (request line and headers) and ``body`` so far."""
    port = int(server.base.rsplit(":", 1)[1])
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    return connection


def _status_of(connection: socket.socket) -> int:
    reply = connection.recv(4096).decode("latin-1")
    connection.close()
    return int(reply.split(" ", 2)[1])


def _signed_head(server: Running, form: dict[str, str], length: int) -> str:
    signature = RequestValidator(SIGNING_KEY).compute_signature(server.webhook, form)
    return (
        "POST /voice/webhook HTTP/1.1\n"
        f"Host: {server.base.removeprefix('http://')}\n"
        "Content-Type: application/x-www-form-urlencoded\n"
        f"Content-Length: {length}\n"
        f"X-Twilio-Signature: {signature}\n"
    )


def test_missing_signature_headers_are_refused_before_the_body(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        head = f"POST /voice/webhook HTTP/1.1\nHost: {server.base.removeprefix('http://')}\nContent-Length: 500\n"
        # The body never comes; the answer must not wait for it.
        assert _status_of(_raw_request(server, head)) == 401


def test_a_body_that_stalls_gets_408_and_changes_nothing(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN, limits=QUICK) as server:
        body = urlencode(INBOUND).encode()
        connection = _raw_request(server, _signed_head(server, INBOUND, len(body)), body[:10])
        assert _status_of(connection) == 408
        assert _records(server) == 0


def test_an_oversized_body_gets_413(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        form = {**INBOUND, "Padding": "x" * 70_000}
        response = server.post_webhook("", form)
        assert (response.status_code, response.text) == (413, "the body is over 65536 bytes")
        # A body sent without saying its length is counted as it arrives.
        chunked = _raw_request(
            server,
            _signed_head(server, form, 0).replace("Content-Length: 0\n", "Transfer-Encoding: chunked\n"),
            b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in [b"x" * 30_000] * 3),
        )
        assert _status_of(chunked) == 413
        assert _records(server) == 0


def test_nine_concurrent_requests_from_one_address_one_is_refused(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        statuses: list[int] = []
        lock = threading.Lock()
        all_sent = threading.Barrier(9)

        def request(number: int) -> None:
            form = {**INBOUND, "CallSid": f"CA-{number}"}
            body = urlencode(form).encode()
            connection = _raw_request(server, _signed_head(server, form, len(body)), body[:5])
            all_sent.wait(timeout=20)
            # Let the server see all nine before any of them finishes.
            time.sleep(0.5)
            connection.sendall(body[5:])
            status = _status_of(connection)
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=request, args=(number,)) for number in range(9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [200] * 8 + [429]
        assert _records(server) == 8


def test_a_stale_turn_token_cannot_answer_the_current_turn(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        first = server.post_webhook("", INBOUND)
        call_id = first.text.split("call_id=")[1].split("&")[0]
        stale = server.post_webhook(f"?call_id={call_id}&turn=not-the-token", {**INBOUND, "Digits": "1"})
        assert stale.status_code == 200
        assert "<Say>Please describe" not in stale.text
        status = server.api("GET", f"/api/calls/{call_id}").json()
        assert (status["path"], status["waiting_for"]) == (["ask"], "caller")


def test_forwarding_headers_from_an_untrusted_address_are_ignored(data_dir: Path) -> None:
    proxy_rules = PublicUrl.from_settings(None, ["calls.example.com"], ["10.0.0.1"])
    with running_server(data_dir, inbound=OPEN, public_url=proxy_rules) as server:
        forged_url = "https://calls.example.com/voice/webhook"
        signature = RequestValidator(SIGNING_KEY).compute_signature(forged_url, INBOUND)
        headers = {
            "X-Twilio-Signature": signature,
            "X-Forwarded-Host": "calls.example.com",
            "X-Forwarded-Proto": "https",
        }
        response = httpx.post(server.webhook, data=INBOUND, headers=headers, timeout=10)
        assert (response.status_code, response.text) == (401, "the signature does not match")
        assert _records(server) == 0


def test_the_public_url_is_signed_with_and_without_its_default_port(data_dir: Path) -> None:
    public = PublicUrl.from_settings("https://calls.example.com")
    with running_server(data_dir, inbound=OPEN, public_url=public) as server:
        for number, signed_url in enumerate(
            ["https://calls.example.com:443/voice/webhook", "https://calls.example.com/voice/webhook"]
        ):
            form = {**INBOUND, "CallSid": f"CA-port-{number}"}
            signature = RequestValidator(SIGNING_KEY).compute_signature(signed_url, form)
            response = httpx.post(
                server.webhook, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
            )
            assert response.status_code == 200, response.text
        assert _records(server) == 2


def test_the_path_must_be_the_webhook_path_with_a_trailing_slash_tolerated(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        assert httpx.post(f"{server.base}/voice/other", data=INBOUND, timeout=10).status_code == 404
        url = f"{server.webhook}/"
        signature = RequestValidator(SIGNING_KEY).compute_signature(url, INBOUND)
        response = httpx.post(url, data=INBOUND, headers={"X-Twilio-Signature": signature}, timeout=10)
        assert response.status_code == 200


def test_with_verification_off_every_request_logs_a_warning(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running_server(data_dir, inbound=OPEN, verify_signatures=False) as server:
        for number in range(2):
            response = httpx.post(server.webhook, data={**INBOUND, "CallSid": f"CA-{number}"}, timeout=10)
            assert response.status_code == 200
    warnings = [record.getMessage() for record in caplog.records if record.name == "callflow.server"]
    assert warnings == ["webhook signature verification is OFF: anyone can drive calls"] * 2


def test_answers_carry_their_length_and_are_not_chunked(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        answered = server.post_webhook("", INBOUND)
        refused = httpx.post(server.webhook, data=INBOUND, timeout=10)
    for response in (answered, refused):
        assert response.headers["content-length"] == str(len(response.content))
        assert "transfer-encoding" not in response.headers
    assert (answered.status_code, refused.status_code) == (200, 401)


def _in_flight(server: Running) -> int:
    return int(server.service.calls_in_flight)


class _Form(dict[str, list[str]]):
    """Form fields as the official library reads them from a web framework (``getlist``)."""

    def __init__(self, fields: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        for name, value in fields:
            self.setdefault(name, []).append(value)

    def getlist(self, name: str) -> list[str]:
        return self[name]


def _post_signed(
    server: Running, body: str, *, signed_url: str, host: str, form: Iterable[tuple[str, str]]
) -> httpx.Response:
    """``body`` as sent, signed by the official library over ``signed_url`` and ``form``."""
    signature = RequestValidator(SIGNING_KEY).compute_signature(signed_url, _Form(form))
    headers = {
        "Host": host,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return httpx.post(server.webhook, content=body.encode(), headers=headers, timeout=10)


def test_a_carriers_retry_gets_the_answer_the_first_request_got_and_has_no_effect(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        first = server.post_webhook("", INBOUND)
        assert "<Gather" in first.text
        # Twilio's retry of a request that timed out: the same request, byte for byte.
        retry = server.post_webhook("", INBOUND)
        assert (retry.status_code, retry.text) == (200, first.text)
        assert (_records(server), _in_flight(server)) == (1, 1)
        call_id = first.text.split("call_id=")[1].split("&")[0]
        assert server.api("GET", f"/api/calls/{call_id}").json()["path"] == ["ask"]


# One signed inbound webhook, as it may be sent again in other bytes that its signature
# still covers. Signed over http://calls.example.com/voice/webhook with these fields.
SIGNED_URL = "http://calls.example.com/voice/webhook"
FIRST = urlencode(INBOUND)
COPIES = {
    "fields reordered": ("calls.example.com", urlencode(list(reversed(INBOUND.items())))),
    "percent-encoded otherwise": ("calls.example.com", FIRST.replace("CallSid", "%43all%53id")),
    "an extra &": ("calls.example.com", "&" + FIRST + "&&"),
    "the default port added": ("calls.example.com:80", FIRST),
    "a field repeated": ("calls.example.com", FIRST + "&Direction=inbound"),
}


@pytest.mark.parametrize("copy", COPIES.values(), ids=COPIES.keys())
def test_a_copy_the_signature_still_covers_is_the_same_request(data_dir: Path, copy: tuple[str, str]) -> None:
    host, body = copy
    with running_server(data_dir, inbound=OPEN) as server:
        first = _post_signed(
            server, FIRST, signed_url=SIGNED_URL, host="calls.example.com", form=INBOUND.items()
        )
        assert "<Gather" in first.text
        call_id = first.text.split("call_id=")[1].split("&")[0]
        hang_up = {**INBOUND, "CallStatus": "completed"}
        ended = _post_signed(
            server, urlencode(hang_up), signed_url=SIGNED_URL, host="calls.example.com", form=hang_up.items()
        )
        assert ended.status_code == 200
        assert _in_flight(server) == 0

        copied = _post_signed(server, body, signed_url=SIGNED_URL, host=host, form=INBOUND.items())

        assert (copied.status_code, copied.text) == (200, first.text)
        assert (_records(server), _in_flight(server)) == (1, 0)
        status = server.api("GET", f"/api/calls/{call_id}").json()
        assert (status["path"], status["end_reason"]) == (["ask"], "hangup-user")


def test_a_new_request_for_a_carrier_call_id_that_had_a_call_starts_none(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        first = server.post_webhook("", INBOUND)
        server.post_webhook("", {**INBOUND, "CallStatus": "completed"})
        # Not a copy (the cache cannot tell): another field, as after the replay window.
        again = server.post_webhook("", {**INBOUND, "CallStatus": "ringing"})
        assert again.status_code == 200
        assert again.text != first.text
        assert "<Gather" not in again.text
        assert (_records(server), _in_flight(server)) == (1, 0)


def test_a_refused_inbound_call_is_refused_again_and_recorded_once(data_dir: Path) -> None:
    closed = InboundSettings(policy="allowlist", allow_from=("+14155550000",), flow="inbound-hotline")
    with running_server(data_dir, inbound=closed) as server:
        first = server.post_webhook("", INBOUND)
        assert "<Reject" in first.text
        again = server.post_webhook("", {**INBOUND, "CallStatus": "ringing"})
        assert (again.status_code, again.text) == (200, first.text)
        assert _records(server) == 1


def test_a_repeated_field_signed_by_the_official_library_verifies(data_dir: Path) -> None:
    fields = [*INBOUND.items(), ("Tag", "a"), ("Tag", "a")]
    with running_server(data_dir, inbound=OPEN) as server:
        response = _post_signed(
            server, urlencode(fields), signed_url=SIGNED_URL, host="calls.example.com", form=fields
        )
        assert response.status_code == 200
        assert "<Gather" in response.text


def test_a_repeat_is_counted_as_a_repeat_not_as_an_error(data_dir: Path) -> None:
    with running_server(data_dir, inbound=OPEN) as server:
        server.post_webhook("", INBOUND)
        server.post_webhook("", INBOUND)
        metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
        assert "callflow_webhook_repeats_total 1.0" in metrics
        assert "webhook-refused" not in metrics
