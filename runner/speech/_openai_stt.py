"""OpenAI's realtime transcription: a Realtime API session of type ``transcription``
(``/realtime?intent=transcription``), fed G.711 mu-law (``audio/pcmu``) as the carrier
sends it.

The server's voice activity detection cuts the audio into turns: it says when speech
starts (``input_audio_buffer.speech_started``) and stops, then sends the words of each
turn as deltas and one ``completed`` transcript. The session is configured with the GA
``session.update`` event (``session.type`` "transcription"), which replaced the beta's
``transcription_session.update``.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from runner.speech._interfaces import Heard, RecognizerEvent, SpeechError, SpeechStarted
from runner.speech._socket_session import HostedRecognizer

DEFAULT_BASE_URL = "wss://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini-transcribe"

_PREFIX = "conversation.item.input_audio_transcription."


class OpenAITranscriptionDialect:
    """What a Realtime transcription session expects and sends, for one call."""

    provider = "OpenAI"

    def __init__(
        self, *, base_url: str, api_key: str, model: str, language: str | None, silence_ms: int
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/realtime?intent=transcription"
        self.headers = {"Authorization": f"Bearer {api_key}"}
        transcription: dict[str, str] = {"model": model}
        if language:
            transcription["language"] = language
        self._update = {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcmu"},
                        "transcription": transcription,
                        "turn_detection": {
                            "type": "server_vad",
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": silence_ms,
                        },
                    }
                },
                # Token log probabilities, for the confidence of the words heard.
                "include": ["item.input_audio_transcription.logprobs"],
            },
        }
        # Per turn (item id): the words so far, and where the speech stopped.
        self._partial: dict[str, str] = {}
        self._stopped_at: dict[str, float] = {}

    def opening(self) -> list[str]:
        return [json.dumps(self._update)]

    def audio(self, chunk: bytes) -> str:
        return json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()})

    def closing(self) -> list[str]:
        return []

    def read(self, message: str | bytes, fed_seconds: float) -> list[RecognizerEvent]:
        try:
            body = json.loads(message)
        except ValueError:
            raise SpeechError("OpenAI sent a message that is not JSON") from None
        if not isinstance(body, dict):
            raise SpeechError("OpenAI sent a message that is not a JSON object")
        kind = body.get("type")
        item = str(body.get("item_id") or "")
        if kind == "input_audio_buffer.speech_started":
            return [SpeechStarted(at=_milliseconds(body.get("audio_start_ms"), fed_seconds))]
        if kind == "input_audio_buffer.speech_stopped":
            self._stopped_at[item] = _milliseconds(body.get("audio_end_ms"), fed_seconds)
            return []
        if kind == _PREFIX + "delta":
            text = self._partial.get(item, "") + str(body.get("delta") or "")
            self._partial[item] = text
            at = self._stopped_at.get(item, fed_seconds)
            return [Heard(text=text.strip(), final=False, at=at)] if text.strip() else []
        if kind == _PREFIX + "completed":
            self._partial.pop(item, None)
            at = self._stopped_at.pop(item, fed_seconds)
            text = str(body.get("transcript") or "").strip()
            confidence = _confidence(body.get("logprobs"))
            return [Heard(text=text, final=True, confidence=confidence, at=at)] if text else []
        if kind == "error":
            error = body.get("error")
            detail = error.get("message") if isinstance(error, dict) else None
            raise SpeechError(f"OpenAI reported an error: {detail or 'no detail'}")
        return []


def _milliseconds(value: object, default: float) -> float:
    return round(value / 1000, 3) if isinstance(value, int | float) else default


def _confidence(logprobs: object) -> float | None:
    """The mean token probability of a transcript, from its token log probabilities."""
    if not isinstance(logprobs, list):
        return None
    values = [entry["logprob"] for entry in logprobs if isinstance(entry, dict) and _is_number(entry)]
    if not values:
        return None
    return round(min(1.0, max(0.0, math.exp(sum(values) / len(values)))), 3)


def _is_number(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("logprob"), int | float)


class OpenAIRealtimeTranscription(HostedRecognizer):
    """Streaming recognition by OpenAI's Realtime API (an API key; audio leaves the machine)."""

    name = "openai"
    provider = "OpenAI transcription"
    dialect = OpenAITranscriptionDialect
    default_base_url = DEFAULT_BASE_URL
    default_model = DEFAULT_MODEL
