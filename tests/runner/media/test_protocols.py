"""Each carrier's media stream messages, read and written, as its documentation shows them."""

from __future__ import annotations

import json

import pytest

from runner.media import TWILIO_STREAMS, StreamProtocol, StreamStart, stream_protocol
from runner.media._messages import Dtmf, MarkPlayed, Media, Stopped, StreamMessageError
from runner.media._protocols import plivo_headers

PLIVO = stream_protocol("plivo")
TELNYX = stream_protocol("telnyx")


def frame(message: object) -> str:
    return json.dumps(message)


def test_the_mock_carrier_speaks_twilios_protocol() -> None:
    assert stream_protocol("mock") is stream_protocol("twilio") is TWILIO_STREAMS


def test_a_provider_without_a_protocol_is_named() -> None:
    with pytest.raises(ValueError, match=r"^no media stream protocol is known for provider 'vonage'$"):
        stream_protocol("vonage")


# -- start -----------------------------------------------------------------------------


def test_twilio_passes_the_token_as_a_custom_parameter() -> None:
    start = {"streamSid": "MZ1", "callSid": "CA1", "customParameters": {"token": "t0k"}}
    assert TWILIO_STREAMS.start(frame({"event": "start", "start": start})) == StreamStart("t0k", "MZ1")


def test_plivo_passes_the_token_in_its_extra_headers() -> None:
    message = {
        "event": "start",
        "sequenceNumber": 1,
        "start": {"callId": "c-1", "streamId": "s-1", "mediaFormat": {"encoding": "audio/x-mulaw"}},
        "extra_headers": "call=CA42;token=abc123",
    }
    assert PLIVO.start(frame(message)) == StreamStart("abc123", "s-1")


def test_telnyx_passes_the_token_as_a_custom_parameter() -> None:
    message = {
        "event": "start",
        "sequence_number": "1",
        "start": {"call_control_id": "v3:x", "custom_parameters": {"token": "t0k"}},
        "stream_id": "32DE0DEA",
    }
    assert TELNYX.start(frame(message)) == StreamStart("t0k", "32DE0DEA")


def test_telnyx_parameters_may_come_as_a_list_of_names_and_values() -> None:
    start = {"custom_parameters": [{"name": "token", "value": "t0k"}]}
    assert TELNYX.start(frame({"event": "start", "start": start, "stream_id": "s"})) == StreamStart(
        "t0k", "s"
    )


@pytest.mark.parametrize("protocol", [TWILIO_STREAMS, PLIVO, TELNYX])
def test_a_start_without_a_token_has_none(protocol: StreamProtocol) -> None:
    start = protocol.start(frame({"event": "start", "start": {}}))
    assert start == StreamStart(None, "")


@pytest.mark.parametrize("protocol", [TWILIO_STREAMS, PLIVO, TELNYX])
def test_what_comes_before_start_is_not_a_start(protocol: StreamProtocol) -> None:
    assert protocol.start(frame({"event": "connected", "version": "1.0.0"})) is None


@pytest.mark.parametrize("protocol", [TWILIO_STREAMS, PLIVO, TELNYX])
def test_a_start_without_its_start_object_is_refused(protocol: StreamProtocol) -> None:
    with pytest.raises(StreamMessageError, match=r"^a start message without its start object$"):
        protocol.start(frame({"event": "start"}))


def test_a_start_in_another_codec_than_mulaw_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    start = {
        "custom_parameters": {"token": "t0k"},
        "media_format": {"encoding": "G722", "sample_rate": 16000},
    }
    assert TELNYX.start(frame({"event": "start", "start": start, "stream_id": "s"})) == StreamStart(
        "t0k", "s"
    )
    assert "telnyx streams the caller's audio as G722, not PCMU: it will not be understood" in caplog.text


def test_plivo_headers_split_on_commas_or_semicolons() -> None:
    assert plivo_headers("a=1,b=2;token=xyz;junk") == {"a": "1", "b": "2", "token": "xyz"}


# -- reading ---------------------------------------------------------------------------


def test_plivo_frames_read_as_the_media_paths_events() -> None:
    assert PLIVO.read(frame({"event": "media", "media": {"track": "inbound", "payload": "/38="}})) == Media(
        b"\xff\x7f"
    )
    assert PLIVO.read(frame({"event": "dtmf", "dtmf": {"digit": "5"}})) == Dtmf("5")
    assert PLIVO.read(frame({"event": "playedStream", "streamId": "s", "name": "said-1"})) == MarkPlayed(
        "said-1"
    )
    assert PLIVO.read(frame({"event": "clearedAudio", "streamId": "s"})) is None


def test_telnyx_frames_read_as_the_media_paths_events() -> None:
    assert TELNYX.read(frame({"event": "media", "media": {"track": "inbound", "payload": "/38="}})) == Media(
        b"\xff\x7f"
    )
    assert TELNYX.read(frame({"event": "dtmf", "dtmf": {"digit": "#"}})) == Dtmf("#")
    assert TELNYX.read(frame({"event": "mark", "mark": {"name": "said-2"}})) == MarkPlayed("said-2")
    assert TELNYX.read(frame({"event": "stop", "stop": {}})) == Stopped()


def test_telnyx_audio_of_the_bots_own_track_is_not_the_callers() -> None:
    assert TELNYX.read(frame({"event": "media", "media": {"track": "outbound", "payload": "/38="}})) is None


def test_a_telnyx_error_frame_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    error = {"event": "error", "payload": {"code": 100003, "title": "malformed_frame"}}
    assert TELNYX.read(frame(error)) is None
    assert "telnyx reported a media stream error: {'code': 100003, 'title': 'malformed_frame'}" in caplog.text


@pytest.mark.parametrize(
    ("protocol", "message", "error"),
    [
        (PLIVO, {"event": "dtmf", "dtmf": {"digit": "x"}}, "a dtmf message whose digit is 'x'"),
        (PLIVO, {"event": "playedStream"}, "a message without its name"),
        (
            TELNYX,
            {"event": "media", "media": {"payload": "not base64!"}},
            "a media message whose payload is not base64",
        ),
        (TELNYX, {"event": "mark", "mark": {}}, "a message without its name"),
    ],
)
def test_a_broken_frame_says_what_is_wrong(protocol: StreamProtocol, message: object, error: str) -> None:
    with pytest.raises(StreamMessageError) as caught:
        protocol.read(frame(message))
    assert str(caught.value) == error


@pytest.mark.parametrize("protocol", [PLIVO, TELNYX])
def test_a_frame_that_is_not_json_is_refused(protocol: StreamProtocol) -> None:
    with pytest.raises(StreamMessageError, match=r"^a media stream frame that is not JSON$"):
        protocol.read("{event")


# -- writing ---------------------------------------------------------------------------


def test_plivo_plays_audio_marks_checkpoints_and_clears() -> None:
    assert json.loads(PLIVO.media("s-1", b"\xff\x7f")) == {
        "event": "playAudio",
        "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": "/38="},
    }
    assert json.loads(PLIVO.mark("s-1", "said-1")) == {
        "event": "checkpoint",
        "streamId": "s-1",
        "name": "said-1",
    }
    assert json.loads(PLIVO.clear("s-1")) == {"event": "clearAudio", "streamId": "s-1"}


def test_telnyx_sends_media_marks_and_clears() -> None:
    assert json.loads(TELNYX.media("s-1", b"\xff\x7f")) == {"event": "media", "media": {"payload": "/38="}}
    assert json.loads(TELNYX.mark("s-1", "said-1")) == {"event": "mark", "mark": {"name": "said-1"}}
    assert json.loads(TELNYX.clear("s-1")) == {"event": "clear"}


def test_twilio_names_the_stream_in_what_it_sends() -> None:
    assert json.loads(TWILIO_STREAMS.media("MZ1", b"\xff")) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": "/w=="},
    }
    assert json.loads(TWILIO_STREAMS.mark("MZ1", "said-1")) == {
        "event": "mark",
        "streamSid": "MZ1",
        "mark": {"name": "said-1"},
    }
    assert json.loads(TWILIO_STREAMS.clear("MZ1")) == {"event": "clear", "streamSid": "MZ1"}
