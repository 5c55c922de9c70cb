"""Deepgram's live transcription (``/v1/listen`` over a WebSocket), fed 8 kHz mu-law as it
comes from the carrier, so nothing is converted on our side.

Deepgram sends ``Results`` messages: guesses while the caller speaks (``is_final``
false), then the final words of each stretch of audio (``is_final`` true); the last
final of an utterance also has ``speech_final`` (endpointing found a pause). Finals of one
utterance are joined into one final ``Heard``. ``vad_events`` asks for a
``SpeechStarted`` message when the caller starts speaking.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from runner.speech._interfaces import Heard, RecognizerEvent, SpeechError, SpeechStarted
from runner.speech._socket_session import HostedRecognizer

DEFAULT_BASE_URL = "wss://api.deepgram.com"
DEFAULT_MODEL = "nova-3"

_CLOSE_STREAM = json.dumps({"type": "CloseStream"})


class DeepgramDialect:
    """What Deepgram's listen socket expects and sends, for one session."""

    provider = "Deepgram"

    def __init__(
        self, *, base_url: str, api_key: str, model: str, language: str | None, silence_ms: int
    ) -> None:
        query = {
            "encoding": "mulaw",
            "sample_rate": "8000",
            "channels": "1",
            "model": model,
            "interim_results": "true",
            "endpointing": str(silence_ms),
            "vad_events": "true",
            "punctuate": "true",
        }
        if language:
            query["language"] = language
        self.url = f"{base_url.rstrip('/')}/v1/listen?{urlencode(query)}"
        self.headers = {"Authorization": f"Token {api_key}"}
        # The final pieces of the utterance under way, joined when it ends.
        self._finals: list[str] = []
        self._confidences: list[float] = []

    def opening(self) -> list[str]:
        return []

    def audio(self, chunk: bytes) -> bytes:
        return chunk

    def closing(self) -> list[str]:
        return [_CLOSE_STREAM]

    def read(self, message: str | bytes, fed_seconds: float) -> list[RecognizerEvent]:
        try:
            body = json.loads(message)
        except ValueError:
            raise SpeechError("Deepgram sent a message that is not JSON") from None
        if not isinstance(body, dict):
            raise SpeechError("Deepgram sent a message that is not a JSON object")
        kind = body.get("type")
        if kind == "SpeechStarted":
            return [SpeechStarted(at=_seconds(body.get("timestamp"), fed_seconds))]
        if kind == "Results":
            return self._results(body, fed_seconds)
        if kind == "UtteranceEnd":
            return self._utterance_end(fed_seconds)
        if kind == "Error" or "err_code" in body:
            detail = body.get("description") or body.get("err_msg") or body.get("message") or "no detail"
            raise SpeechError(f"Deepgram reported an error: {detail}")
        return []

    def _results(self, body: dict[str, Any], fed_seconds: float) -> list[RecognizerEvent]:
        alternative = _first_alternative(body)
        text = str(alternative.get("transcript") or "").strip()
        end = _seconds(body.get("start"), fed_seconds) + _seconds(body.get("duration"), 0.0)
        if not body.get("is_final"):
            guess = " ".join([*self._finals, text]).strip()
            return [Heard(text=guess, final=False, at=round(end, 3))] if text else []
        if text:
            self._finals.append(text)
            confidence = alternative.get("confidence")
            if isinstance(confidence, int | float):
                self._confidences.append(float(confidence))
        return self._utterance_end(end) if body.get("speech_final") else []

    def _utterance_end(self, at: float) -> list[RecognizerEvent]:
        if not self._finals:
            return []
        confidence = min(self._confidences) if self._confidences else None
        heard = Heard(text=" ".join(self._finals), final=True, confidence=confidence, at=round(at, 3))
        self._finals, self._confidences = [], []
        return [heard]


def _first_alternative(body: dict[str, Any]) -> dict[str, Any]:
    channel = body.get("channel")
    alternatives = channel.get("alternatives") if isinstance(channel, dict) else None
    if isinstance(alternatives, list) and alternatives and isinstance(alternatives[0], dict):
        return alternatives[0]
    return {}


def _seconds(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


class DeepgramRecognizer(HostedRecognizer):
    """Streaming recognition by Deepgram (an API key; audio leaves the machine)."""

    name = "deepgram"
    provider = "Deepgram"
    dialect = DeepgramDialect
    default_base_url = DEFAULT_BASE_URL
    default_model = DEFAULT_MODEL
