"""The config's ``audio.realtime`` section: read, defaulted, its key from the environment
and never shown, a bad address refused with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.config import CREDENTIAL_ENV, SECRET_KEYS, ConfigInvalidError, load_config, redacted
from runner.realtime import RealtimeSettings

KEY = "sk-realtime-SECRET-99"


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config or credential from the machine running the tests."""
    for name in ["CALLFLOW_CONFIG", *CREDENTIAL_ENV.values()]:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callflow.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_without_a_realtime_section_openai_is_the_provider_with_its_defaults() -> None:
    audio = load_config(None, {}).audio
    assert audio.realtime == RealtimeSettings(provider="openai")
    assert audio.realtime_settings().api_key is None


def test_every_realtime_setting_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        audio:
          realtime:
            provider: openai
            base_url: wss://realtime.example.com/v1
            model: gpt-realtime-mini
            voice: marin
            api_key: {KEY}
        """,
    )
    settings = load_config(path, {}).audio.realtime_settings()
    assert settings == RealtimeSettings(
        provider="openai",
        base_url="wss://realtime.example.com/v1",
        model="gpt-realtime-mini",
        voice="marin",
        api_key=KEY,
    )
    assert KEY not in repr(settings)


def test_the_key_falls_back_to_its_environment_variable_and_is_never_shown() -> None:
    assert "audio.realtime.api_key" in SECRET_KEYS
    config = load_config(None, {"CALLFLOW_REALTIME_API_KEY": KEY})
    assert config.audio.realtime_settings().api_key == KEY
    data = redacted(config)
    audio = data["audio"]
    assert isinstance(audio, dict)
    assert audio["realtime"] == {
        "provider": "openai",
        "base_url": None,
        "model": None,
        "voice": None,
        "api_key": "***",
    }
    assert KEY not in repr(data)


def test_a_provider_no_one_has_is_left_for_the_server_to_warn_about(tmp_path: Path) -> None:
    path = write(tmp_path, "audio:\n  realtime: {provider: gemini-live}\n")
    assert load_config(path, {}).audio.realtime.provider == "gemini-live"


def test_a_realtime_address_that_is_not_a_websocket_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "audio:\n  realtime:\n    base_url: https://api.openai.com/v1\n")
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, {})
    (problem,) = caught.value.problems
    assert problem.mark.line == 3
    assert "https://api.openai.com/v1" in problem.message
