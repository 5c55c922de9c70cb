"""Cutting a caller's audio into utterances by voice activity, for recognizers that
transcribe whole utterances (Whisper).

WebRTC's voice activity detector judges each 20 ms frame of 8 kHz 16-bit PCM. A few
voiced frames in a row start an utterance (one stray click does not), a stretch of
silence ends it (a pause between words does not), and a short pre-roll before the first
voiced frame is kept so the first syllable, quieter than the vowel that trips the
detector, is not cut off. An utterance that never pauses is ended at a maximum length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SAMPLE_RATE
from runner.speech._interfaces import SpeechError

#: Samples in one 20 ms frame of 8 kHz audio (one mu-law byte a sample).
FRAME_SAMPLES = FRAME_BYTES
_FRAME_MS = round(FRAME_SECONDS * 1000)

Pcm = npt.NDArray[np.int16]

INSTALL_HINT = "pip install 'callflow[speech]'"


@dataclass(frozen=True)
class VoiceStarted:
    """Enough voiced frames in a row: the caller is speaking."""

    #: Seconds of audio before the first voiced frame of the run that started it.
    at: float


@dataclass(frozen=True)
class Utterance:
    """One utterance's audio, pre-roll included, once it has ended."""

    pcm: Pcm
    #: Seconds of audio at the end of its last voiced frame.
    end: float
    #: Whether it ran to the maximum length instead of ending in silence.
    cut: bool = False


VoiceEvent = VoiceStarted | Utterance


class _FrameJudge(Protocol):
    def is_speech(self, buf: bytes, sample_rate: int, length: int | None = None) -> bool: ...


@dataclass(frozen=True)
class VadSettings:
    """How utterances are cut; the defaults suit a caller on a phone line."""

    #: WebRTC's aggressiveness, 0 (lets most noise through as voice) to 3 (strictest).
    aggressiveness: int = 2
    #: Voiced audio in a row that starts an utterance.
    start_ms: int = 60
    #: Silence in a row that ends one.
    silence_ms: int = 600
    #: Audio kept from before the first voiced frame.
    preroll_ms: int = 300
    #: An utterance this long is ended even if the caller has not paused.
    max_utterance_ms: int = 15_000

    def __post_init__(self) -> None:
        if not 0 <= self.aggressiveness <= 3:
            raise SpeechError(f"voice activity aggressiveness must be 0 to 3, found {self.aggressiveness}")
        for name in ("start_ms", "silence_ms", "max_utterance_ms"):
            if getattr(self, name) < _FRAME_MS:
                raise SpeechError(f"{name} must be at least {_FRAME_MS} ms, found {getattr(self, name)}")
        if self.preroll_ms < 0:
            raise SpeechError(f"preroll_ms must not be negative, found {self.preroll_ms}")


def _frames(milliseconds: int) -> int:
    return max(1, -(-milliseconds // _FRAME_MS))


class VoiceActivityDetector:
    """Feed it 8 kHz PCM in pieces of any size; it says when speech starts and hands
    over each utterance when it ends."""

    def __init__(self, settings: VadSettings | None = None) -> None:
        self.settings = settings or VadSettings()
        self._judge = _webrtc_judge(self.settings.aggressiveness)
        self._start_frames = _frames(self.settings.start_ms)
        self._silence_frames = _frames(self.settings.silence_ms)
        self._max_frames = _frames(self.settings.max_utterance_ms)
        # Idle, the last frames are kept: the voiced run that may start an utterance and
        # the pre-roll before it.
        self._recent: deque[Pcm] = deque(maxlen=self._start_frames + self.settings.preroll_ms // _FRAME_MS)
        self._leftover: Pcm = np.zeros(0, dtype=np.int16)
        self._frame_index = 0
        self._voiced_run = 0
        self._silent_run = 0
        self._utterance: list[Pcm] | None = None
        self._last_voiced_end = 0.0

    def feed(self, pcm: Pcm) -> list[VoiceEvent]:
        """What ``pcm``, the audio after all that was fed before, starts and ends."""
        samples = np.concatenate((self._leftover, pcm)) if self._leftover.size else pcm
        whole = samples.size - samples.size % FRAME_SAMPLES
        self._leftover = samples[whole:].copy()
        events: list[VoiceEvent] = []
        for start in range(0, whole, FRAME_SAMPLES):
            event = self._frame(samples[start : start + FRAME_SAMPLES])
            if event is not None:
                events.append(event)
        return events

    def _frame(self, frame: Pcm) -> VoiceEvent | None:
        voiced = self._judge.is_speech(frame.astype("<i2").tobytes(), SAMPLE_RATE)
        index = self._frame_index
        self._frame_index += 1
        if self._utterance is None:
            self._recent.append(frame)
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run < self._start_frames:
                return None
            self._utterance = list(self._recent)
            self._recent.clear()
            self._silent_run = 0
            self._last_voiced_end = (index + 1) * FRAME_SECONDS
            return VoiceStarted(at=round((index + 1 - self._start_frames) * FRAME_SECONDS, 3))
        self._utterance.append(frame)
        if voiced:
            self._silent_run = 0
            self._last_voiced_end = (index + 1) * FRAME_SECONDS
        else:
            self._silent_run += 1
        if self._silent_run >= self._silence_frames:
            return self._end(self._utterance, cut=False)
        if len(self._utterance) >= self._max_frames:
            return self._end(self._utterance, cut=True)
        return None

    def _end(self, frames: list[Pcm], *, cut: bool) -> Utterance:
        utterance = Utterance(pcm=np.concatenate(frames), end=round(self._last_voiced_end, 3), cut=cut)
        self._utterance = None
        self._voiced_run = 0
        return utterance


def _webrtc_judge(aggressiveness: int) -> _FrameJudge:
    try:
        import webrtcvad
    except ImportError:
        raise SpeechError(f"webrtcvad-wheels is not installed: {INSTALL_HINT}") from None
    judge: _FrameJudge = webrtcvad.Vad(aggressiveness)
    return judge
