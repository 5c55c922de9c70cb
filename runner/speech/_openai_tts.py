"""OpenAI's speech endpoint (POST /audio/speech), or any server that speaks its shape.

Asked for "pcm": raw 16-bit little-endian mono at 24 kHz, no header, streamed as it is
made; turned into 8 kHz mu-law here as it arrives.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from runner.speech._hosted import HostedSpeech
from runner.speech._telephone import TelephoneEncoder

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini-tts"
DEFAULT_VOICE = "alloy"
#: The rate of OpenAI's "pcm" response format.
_PCM_RATE = 24_000


class OpenAISpeech:
    """Speaks with OpenAI's ``model`` in ``voice`` ("alloy", "coral", ...). The endpoint
    takes no language: its voices speak the language of the text."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        voice: str = DEFAULT_VOICE,
        timeout: float = 10.0,
    ) -> None:
        self._service = HostedSpeech(
            service="OpenAI speech", base_url=base_url, api_key=api_key, timeout=timeout
        )
        self._key = api_key
        self._model = model
        self._voice = voice

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        """``text`` spoken, as 8 kHz mu-law in pieces as the audio arrives. Raises
        SpeechError when the service refuses, stalls or cannot be reached."""
        body = {"model": self._model, "voice": voice or self._voice, "input": text, "response_format": "pcm"}
        headers = {"Authorization": f"Bearer {self._key}"}
        encoder = TelephoneEncoder(_PCM_RATE)
        # Closed at once if the listener stops early (barge-in): the connection goes too.
        async with aclosing(
            self._service.post_streamed("/audio/speech", headers=headers, body=body)
        ) as body_pieces:
            async for received in body_pieces:
                if piece := encoder.feed(received):
                    yield piece
        if rest := encoder.flush():
            yield rest

    async def aclose(self) -> None:
        await self._service.aclose()
