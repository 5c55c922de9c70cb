from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from runner.audio import encode, resample
from runner.speech import OpenAISpeech, SpeechError, Synthesizer, TtsSettings, build_synthesizer
from tests.runner.speech.audio_checks import spoken
from tests.runner.speech.stand_in import API_KEY, SpeechStandIn


@pytest.fixture
def service() -> Iterator[SpeechStandIn]:
    with SpeechStandIn() as stand_in:
        yield stand_in


def openai(
    url: str, *, model: str | None = None, voice: str | None = None, timeout: float = 10.0
) -> Synthesizer:
    settings = TtsSettings(
        engine="openai", base_url=f"{url}/v1", api_key=API_KEY, model=model, voice=voice, timeout=timeout
    )
    return build_synthesizer(settings)


def tone_at_24_khz(seconds: float) -> npt.NDArray[np.int16]:
    times = np.arange(int(24_000 * seconds)) / 24_000
    return (8000 * np.sin(2 * np.pi * 440 * times)).astype(np.int16)


def test_the_request_is_openais_speech_call_asking_for_pcm(service: SpeechStandIn) -> None:
    service.audio([tone_at_24_khz(0.1).tobytes()])
    spoken(openai(service.url, model="tts-1", voice="coral"), "Your appointment is confirmed.")
    [request] = service.requests
    assert (request.method, request.path) == ("POST", "/v1/audio/speech")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "model": "tts-1",
        "voice": "coral",
        "input": "Your appointment is confirmed.",
        "response_format": "pcm",
    }


def test_the_defaults_are_a_current_model_and_voice_and_a_call_may_name_its_voice(
    service: SpeechStandIn,
) -> None:
    service.audio([b""])
    spoken(openai(service.url), "Hello.", voice="sage")
    assert service.requests[0].json()["model"] == "gpt-4o-mini-tts"
    assert service.requests[0].json()["voice"] == "sage"


def test_streamed_pcm_at_24_khz_comes_out_as_8_khz_mu_law_whatever_the_seams(service: SpeechStandIn) -> None:
    pcm = tone_at_24_khz(0.5)
    body = pcm.tobytes()
    # Odd sizes: a sample is split across pieces.
    service.audio([body[start : start + 1001] for start in range(0, len(body), 1001)])
    audio = b"".join(spoken(openai(service.url), "A tone."))
    assert len(audio) == 4000
    assert audio == encode(resample(pcm, 24_000, 8000))


def test_a_refused_key_is_reported_with_the_status_and_never_the_key(service: SpeechStandIn) -> None:
    service.error(401, f'{{"error": {{"message": "Incorrect API key provided: {API_KEY}."}}}}')
    with pytest.raises(SpeechError) as caught:
        spoken(openai(service.url), "Hello.")
    assert str(caught.value) == (
        'OpenAI speech answered 401 Unauthorized: {"error": {"message": "Incorrect API key provided: ***."}}'
    )
    assert API_KEY not in str(caught.value)


def test_audio_that_stalls_past_the_timeout_is_an_error_after_what_came(service: SpeechStandIn) -> None:
    service.audio([tone_at_24_khz(0.2).tobytes()], stall=True)
    pieces: list[bytes] = []
    with pytest.raises(SpeechError) as caught:
        spoken(openai(service.url, timeout=0.3), "Hello.", received=pieces)
    assert str(caught.value) == f"OpenAI speech at {service.url}/v1/audio/speech did not answer within 0.3 s"
    assert len(b"".join(pieces)) > 1000


def test_a_server_that_is_not_there_cannot_be_reached() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SpeechError) as caught:
        spoken(openai(f"http://127.0.0.1:{port}"), "Hello.")
    assert str(caught.value).startswith(
        f"OpenAI speech at http://127.0.0.1:{port}/v1/audio/speech cannot be reached: "
    )


def test_a_listener_that_stops_early_closes_the_connection(service: SpeechStandIn) -> None:
    service.audio([tone_at_24_khz(0.2).tobytes()], stall=True)

    async def scenario() -> None:
        # Made directly: Synthesizer.synthesize says AsyncIterator, which has no aclose.
        synthesizer = OpenAISpeech(api_key=API_KEY, base_url=f"{service.url}/v1")
        speech = synthesizer.synthesize("Hello.")
        assert await anext(speech)
        await speech.aclose()
        await synthesizer.aclose()

    asyncio.run(scenario())
    # The stand-in notices within its poll; the wait is a bound for a broken client, not a timing.
    assert service.cut.wait(10)
