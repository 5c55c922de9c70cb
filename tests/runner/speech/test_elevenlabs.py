from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from runner.audio import encode
from runner.speech import SpeechError, Synthesizer, TtsSettings, build_synthesizer
from tests.runner.speech.audio_checks import espeak_oracle, spoken
from tests.runner.speech.stand_in import API_KEY, SpeechStandIn

VOICE_ID = "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture
def service() -> Iterator[SpeechStandIn]:
    with SpeechStandIn() as stand_in:
        yield stand_in


def elevenlabs(
    url: str, *, voice: str = VOICE_ID, model: str | None = None, timeout: float = 10.0
) -> Synthesizer:
    settings = TtsSettings(
        engine="elevenlabs", base_url=url, api_key=API_KEY, voice=voice, model=model, timeout=timeout
    )
    return build_synthesizer(settings)


def test_the_request_is_elevenlabs_streaming_call_asking_for_8_khz_mu_law(service: SpeechStandIn) -> None:
    service.audio([encode(np.zeros(160, dtype=np.int16))])
    spoken(elevenlabs(service.url, model="eleven_turbo_v2_5"), "Your appointment is confirmed.")
    [request] = service.requests
    assert request.method == "POST"
    assert request.path == f"/v1/text-to-speech/{VOICE_ID}/stream?output_format=ulaw_8000"
    assert request.headers["xi-api-key"] == API_KEY
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"text": "Your appointment is confirmed.", "model_id": "eleven_turbo_v2_5"}


def test_a_call_may_name_its_voice_which_stays_one_segment_of_the_path(service: SpeechStandIn) -> None:
    service.audio([b""])
    spoken(elevenlabs(service.url), "Hello.", voice="../../admin?x=1")
    assert (
        service.requests[0].path
        == "/v1/text-to-speech/..%2F..%2Fadmin%3Fx%3D1/stream?output_format=ulaw_8000"
    )
    assert service.requests[0].json()["model_id"] == "eleven_flash_v2_5"


def test_the_mu_law_body_is_passed_on_as_it_comes(service: SpeechStandIn) -> None:
    speech = espeak_oracle("I want to confirm.")
    pieces = [speech[start : start + 777] for start in range(0, len(speech), 777)]
    service.audio(pieces)
    assert b"".join(spoken(elevenlabs(service.url), "I want to confirm.")) == speech


def test_a_refused_key_is_reported_with_the_status_and_never_the_key(service: SpeechStandIn) -> None:
    service.error(
        401, f'{{"detail": {{"status": "invalid_api_key", "message": "Invalid API key {API_KEY}"}}}}'
    )
    with pytest.raises(SpeechError) as caught:
        spoken(elevenlabs(service.url), "Hello.")
    assert str(caught.value) == (
        'ElevenLabs answered 401 Unauthorized: {"detail": {"status": "invalid_api_key", "message": "Invalid API key ***"}}'
    )


def test_a_long_error_body_is_cut_to_an_excerpt(service: SpeechStandIn) -> None:
    service.error(422, "x" * 1000)
    with pytest.raises(SpeechError) as caught:
        spoken(elevenlabs(service.url), "Hello.")
    assert str(caught.value) == "ElevenLabs answered 422 Unprocessable Entity: " + "x" * 200 + "..."


def test_audio_that_stalls_past_the_timeout_is_an_error_after_what_came(service: SpeechStandIn) -> None:
    service.audio([bytes([0x7F]) * 800], stall=True)
    pieces: list[bytes] = []
    with pytest.raises(SpeechError) as caught:
        spoken(elevenlabs(service.url, timeout=0.3), "Hello.", received=pieces)
    assert str(caught.value) == (
        f"ElevenLabs at {service.url}/v1/text-to-speech/{VOICE_ID}/stream did not answer within 0.3 s"
    )
    assert b"".join(pieces) == bytes([0x7F]) * 800
