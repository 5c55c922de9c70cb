"""espeak-ng, the embedded synthesizer: offline, no key, robotic but clear.

Each text runs one ``espeak-ng --stdout --stdin`` process, no shell: the text goes in on
standard input, so no text (not even "-w /etc/passwd") is ever read as an option. Its
WAV (22,050 Hz, written while it speaks) is turned into 8 kHz mu-law as it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
from collections.abc import AsyncGenerator

from runner.speech._interfaces import SpeechError
from runner.speech._telephone import TelephoneEncoder

#: An espeak-ng voice: a language ("en-us"), perhaps with a variant ("en-us+f3").
_VOICE = re.compile(r"[A-Za-z0-9_+][A-Za-z0-9_+-]*")
_READ_BYTES = 4096
_STDERR_EXCERPT = 200
_INSTALL = "install the Debian package espeak-ng (apt-get install espeak-ng)"


class EspeakSynthesizer:
    """Speaks with the ``espeak-ng`` program. ``voice`` names an espeak-ng voice
    ("en-us", "en-us+f3"; ``espeak-ng --voices`` lists them); a call's ``voice`` is used
    if given, else its ``language`` ("fr", "en-GB"), else the default here. ``words_per_minute``
    is espeak-ng's speed (it says 175 by default)."""

    name = "espeak-ng"

    def __init__(
        self, *, voice: str = "en-us", words_per_minute: int = 175, executable: str = "espeak-ng"
    ) -> None:
        if not 80 <= words_per_minute <= 450:
            raise SpeechError(f"espeak-ng speaks 80 to 450 words a minute, found {words_per_minute}")
        self._voice = _checked_voice(voice)
        self._words_per_minute = words_per_minute
        self._executable = executable
        self._running: set[asyncio.subprocess.Process] = set()

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        """``text`` spoken, as 8 kHz mu-law in pieces as espeak-ng makes them. Raises
        SpeechError when espeak-ng is missing, has no such voice, or fails."""
        chosen = _checked_voice(voice or language or self._voice)
        process = await self._start(chosen)
        self._running.add(process)
        stderr = asyncio.ensure_future(_read_all(process.stderr))
        try:
            await _write_text(process, text)
            async with contextlib.aclosing(_mulaw_of_wav(process.stdout, chosen)) as pieces:
                async for piece in pieces:
                    yield piece
            code = await process.wait()
            if code != 0:
                raise SpeechError(_failure(chosen, code, await stderr))
        finally:
            self._running.discard(process)
            await _ended(process)
            stderr.cancel()

    async def aclose(self) -> None:
        """Stops whatever is still being spoken."""
        for process in list(self._running):
            await _ended(process)

    async def _start(self, voice: str) -> asyncio.subprocess.Process:
        argv = [self._executable, "--stdout", "--stdin", "-v", voice, "-s", str(self._words_per_minute)]
        try:
            return await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError:
            raise SpeechError(
                f"espeak-ng is not installed ({self._executable} not found): {_INSTALL}"
            ) from None
        except PermissionError:
            raise SpeechError(f"{self._executable} cannot be run (permission denied): {_INSTALL}") from None


def _checked_voice(voice: str) -> str:
    if not _VOICE.fullmatch(voice):
        raise SpeechError(
            f"an espeak-ng voice is letters, digits, '-', '+' and '_' (as in 'en-us+f3'), found {voice!r}"
        )
    return voice


async def _write_text(process: asyncio.subprocess.Process, text: str) -> None:
    stdin = process.stdin
    if stdin is None:
        raise SpeechError("espeak-ng was started without standard input")
    try:
        stdin.write(text.encode())
        await stdin.drain()
        stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        # espeak-ng stopped before reading the text (an unknown voice): its exit code
        # and message say why.
        pass


async def _mulaw_of_wav(stdout: asyncio.StreamReader | None, voice: str) -> AsyncGenerator[bytes, None]:
    """The WAV on ``stdout`` as 8 kHz mu-law, piece by piece; nothing if it wrote nothing."""
    if stdout is None:
        raise SpeechError("espeak-ng was started without standard output")
    head = b""
    while (layout := _wav_layout(head)) is None:
        more = await stdout.read(_READ_BYTES)
        if not more:
            if head:
                raise SpeechError(f"espeak-ng (voice {voice}) wrote a WAV header cut short")
            return
        head += more
    data_at, rate = layout
    encoder = TelephoneEncoder(rate)
    if first := encoder.feed(head[data_at:]):
        yield first
    while more := await stdout.read(_READ_BYTES):
        if piece := encoder.feed(more):
            yield piece
    if rest := encoder.flush():
        yield rest


def _wav_layout(head: bytes) -> tuple[int, int] | None:
    """Where the samples start in a WAV beginning with ``head``, and their rate; None until
    the data chunk's header has been read. espeak-ng cannot know the sizes of the file and
    its data while it writes them: they are not used."""
    if len(head) >= 12 and (head[:4] != b"RIFF" or head[8:12] != b"WAVE"):
        raise SpeechError("espeak-ng wrote something other than a WAV file")
    rate, position = None, 12
    while position + 8 <= len(head):
        chunk, size = (
            head[position : position + 4],
            int.from_bytes(head[position + 4 : position + 8], "little"),
        )
        if chunk == b"data":
            if rate is None:
                raise SpeechError("espeak-ng wrote a WAV without a format chunk before its data")
            return position + 8, rate
        if chunk == b"fmt ":
            if position + 24 > len(head):
                return None
            rate = _pcm_rate(head, position + 8)
        position += 8 + size + (size & 1)
    return None


def _pcm_rate(head: bytes, at: int) -> int:
    """The sample rate of the ``fmt`` chunk at ``at``, which must say 16-bit mono PCM."""
    kind, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, at)
    if (kind, channels, bits) != (1, 1, 16):
        raise SpeechError(
            f"expected 16-bit mono PCM from espeak-ng, found format {kind}, {channels} channels, {bits}-bit"
        )
    return int(rate)


async def _read_all(stream: asyncio.StreamReader | None) -> bytes:
    return b"" if stream is None else await stream.read()


def _failure(voice: str, code: int, stderr: bytes) -> str:
    said = " ".join(stderr.decode(errors="replace").split())[:_STDERR_EXCERPT]
    if "voice does not exist" in said:
        return f"espeak-ng has no voice {voice!r} ('espeak-ng --voices' lists them)"
    return f"espeak-ng failed (exit code {code}, voice {voice}): {said or 'it said nothing'}"


async def _ended(process: asyncio.subprocess.Process) -> None:
    """``process`` gone: killed if it still runs (the caller stopped listening)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    await process.wait()
