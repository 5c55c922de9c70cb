"""A streamed call on Telnyx through a real ``callflow serve``: the test is Telnyx,
posting the signed answer webhook, then opening the media stream the TeXML
``<Connect><Stream bidirectionalMode="rtp">`` asks for, with the token its
``<Parameter>`` passed, and speaking into it with espeak-ng's voice. The server hears the
words, branches on them, answers with Telnyx's ``media`` and ``mark`` messages, and
hangs up through Telnyx's TeXML REST API (a stand-in on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.audio import FRAME_BYTES, decode
from tests.runner.cli.serve_process import free_port, only_record
from tests.runner.cli.test_serve_telnyx import (
    ACCOUNT_SID,
    API_KEY,
    CONNECTION_ID,
    INBOUND,
    PUBLIC_KEY,
    TelnyxServer,
)
from tests.runner.media.telnyx_side import TelnyxMediaSide, telnyx_stream_of
from tests.runner.media.test_streaming_call import FLOW
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.speech.caller_speech import said


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        yield stand_in


@pytest.fixture
def server(tmp_path: Path, carrier: CarrierServer) -> Iterator[TelnyxServer]:
    port = free_port()
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW, encoding="utf-8")
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
            inbound: {{policy: open, flow: {flow}}}
            data_dir: {tmp_path / "data"}
            """
        ),
        encoding="utf-8",
    )
    running = TelnyxServer(config, port, "--allow-private-url").start()
    try:
        yield running
    finally:
        running.stop()


def test_a_telnyx_call_is_heard_and_answered_on_its_media_stream(
    server: TelnyxServer, carrier: CarrierServer, tmp_path: Path
) -> None:
    answered = server.post(f"{server.base}/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
    assert answered.status_code == 200, answered.text
    assert "<Connect>" in answered.text
    assert answered.text.rstrip().endswith("<Hangup/>\n</Response>"), answered.text
    url, token = telnyx_stream_of(answered.text)
    carrier.answer(200, {"sid": INBOUND["CallSid"], "status": "completed"})

    async def call() -> TelnyxMediaSide:
        async with TelnyxMediaSide(url, token) as telnyx:
            await telnyx.wait_for("the greeting and the question", lambda got: len(got.marks) >= 2)
            await telnyx.say(said("I want to confirm"))
            await telnyx.keep_silent(1.0)
            await telnyx.wait_for("the confirmation", lambda got: len(got.marks) >= 3)
            await telnyx.wait_for("the hang-up", lambda _: bool(carrier.requests))
            await telnyx.stop()
        return telnyx

    telnyx = asyncio.run(call())
    assert telnyx.problems == []
    received = telnyx.received
    assert all(len(frame) == FRAME_BYTES for frame in received.media)
    assert max(abs(int(sample)) for sample in decode(b"".join(received.media))) > 2000
    assert received.marks == ["said-1", "said-2", "said-3"]
    (hang_up,) = carrier.requests
    assert (hang_up.method, hang_up.path) == (
        "POST",
        f"/v2/texml/Accounts/{ACCOUNT_SID}/Calls/{INBOUND['CallSid'].replace(':', '%3A')}",
    )
    assert json.loads(hang_up.body) == {"Status": "completed"}
    record = only_record(tmp_path / "data")
    assert (record.provider, record.path) == ("telnyx", ["ask", "confirmed"])
    assert "confirm" in record.transcript[2].text.lower()
    assert record.transcript[3].text == "Your appointment is confirmed."
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"
