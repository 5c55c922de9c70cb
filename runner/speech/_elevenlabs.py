"""ElevenLabs' streaming text-to-speech endpoint, asked for telephone audio.

With ``output_format=ulaw_8000`` the body is already 8 kHz mu-law, what a media stream
sends: it is passed on as it arrives.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from urllib.parse import quote

from runner.speech._hosted import HostedSpeech
from runner.speech._interfaces import SpeechError

DEFAULT_BASE_URL = "https://api.elevenlabs.io"
DEFAULT_MODEL = "eleven_flash_v2_5"


class ElevenLabsSpeech:
    """Speaks with ElevenLabs' ``model`` in the voice whose id is ``voice`` (ElevenLabs
    has no default voice: one must be named). The language is that of the text."""

    name = "elevenlabs"

    def __init__(
        self,
        *,
        api_key: str,
        voice: str,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        timeout: float = 10.0,
    ) -> None:
        if not voice:
            raise SpeechError("ElevenLabs needs a voice id (the voice's id, not its name)")
        self._service = HostedSpeech(
            service="ElevenLabs", base_url=base_url, api_key=api_key, timeout=timeout
        )
        self._key = api_key
        self._voice = voice
        self._model = model

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        """``text`` spoken, as 8 kHz mu-law in pieces as it arrives. Raises SpeechError
        when the service refuses, stalls or cannot be reached."""
        # Quoted whole: a voice id is one segment of the path, whatever it holds.
        path = f"/v1/text-to-speech/{quote(voice or self._voice, safe='')}/stream?output_format=ulaw_8000"
        headers = {"xi-api-key": self._key}
        body = {"text": text, "model_id": self._model}
        # Closed at once if the listener stops early (barge-in): the connection goes too.
        async with aclosing(self._service.post_streamed(path, headers=headers, body=body)) as pieces:
            async for piece in pieces:
                yield piece

    async def aclose(self) -> None:
        await self._service.aclose()
