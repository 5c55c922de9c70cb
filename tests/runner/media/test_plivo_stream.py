"""A streamed call on Plivo through a real ``callflow serve``: the test is Plivo, posting
the V3-signed answer webhook, then opening the Audio Stream the ``<Stream>`` document
asks for, with the token it passed in ``extraHeaders``, and speaking into it with
espeak-ng's voice. The server hears the words, branches on them, answers in Plivo's
``playAudio`` and ``checkpoint`` messages, and hangs up through Plivo's REST API (a
stand-in on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.audio import FRAME_BYTES, decode
from tests.runner.cli.serve_process import free_port, only_record
from tests.runner.cli.test_serve_plivo import AUTH_ID, AUTH_TOKEN, INBOUND, PlivoServer
from tests.runner.media.plivo_side import PlivoMediaSide, plivo_stream_of
from tests.runner.media.test_streaming_call import FLOW
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.speech.caller_speech import said


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        yield stand_in


@pytest.fixture
def server(tmp_path: Path, carrier: CarrierServer) -> Iterator[PlivoServer]:
    port = free_port()
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
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
            inbound: {{policy: open, flow: {flow}}}
            data_dir: {tmp_path / "data"}
            """
        ),
        encoding="utf-8",
    )
    running = PlivoServer(config, port, "--allow-private-url").start()
    try:
        yield running
    finally:
        running.stop()


def test_a_plivo_call_is_heard_and_answered_on_its_audio_stream(
    server: PlivoServer, carrier: CarrierServer, tmp_path: Path
) -> None:
    answered = server.post(f"{server.base}/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
    assert answered.status_code == 200, answered.text
    assert 'bidirectional="true" keepCallAlive="true"' in answered.text
    assert answered.text.rstrip().endswith("<Hangup/>\n</Response>"), answered.text
    url, token = plivo_stream_of(answered.text)
    carrier.answer(204)

    async def call() -> PlivoMediaSide:
        async with PlivoMediaSide(url, token) as plivo:
            await plivo.wait_for("the greeting and the question", lambda got: len(got.marks) >= 2)
            await plivo.say(said("I want to confirm"))
            await plivo.keep_silent(1.0)
            await plivo.wait_for("the confirmation", lambda got: len(got.marks) >= 3)
            await plivo.wait_for("the hang-up", lambda _: bool(carrier.requests))
        return plivo

    plivo = asyncio.run(call())
    assert plivo.problems == []
    received = plivo.received
    assert all(len(frame) == FRAME_BYTES for frame in received.media)
    # Speech, not silence: the bot's audio has a voice's energy.
    assert max(abs(int(sample)) for sample in decode(b"".join(received.media))) > 2000
    assert received.marks == ["said-1", "said-2", "said-3"]
    (hang_up,) = carrier.requests
    assert (hang_up.method, hang_up.path) == ("DELETE", f"/v1/Account/{AUTH_ID}/Call/{INBOUND['CallUUID']}/")
    record = only_record(tmp_path / "data")
    assert (record.provider, record.path) == ("plivo", ["ask", "confirmed"])
    assert "confirm" in record.transcript[2].text.lower()
    assert record.transcript[3].text == "Your appointment is confirmed."
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"
