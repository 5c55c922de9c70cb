"""The recognizer a config names: ``none`` hears nothing, for flows that listen only for
keys and for measuring the media path (bench/media_streams.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from runner.audio import FRAME_BYTES, SILENCE_BYTE
from runner.config import load_config
from runner.speech import RecognizerEvent, SttSettings, build_recognizer
from tests.runner.speech.caller_speech import said


def test_a_config_may_name_no_recognizer(tmp_path: Path) -> None:
    config = tmp_path / "callflow.yaml"
    config.write_text("audio: {path: streaming, stt: {engine: none}}\n", encoding="utf-8")

    settings = load_config(config, {}).audio.recognizer_settings()

    assert settings.engine == "none"
    assert build_recognizer(settings).name == "none"


async def _everything(events: AsyncIterator[RecognizerEvent]) -> list[RecognizerEvent]:
    return [event async for event in events]


def test_no_recognizer_hears_nothing_of_speech_and_ends_when_closed() -> None:
    async def scenario() -> tuple[bool, list[RecognizerEvent]]:
        recognizer = build_recognizer(SttSettings(engine="none"))
        session = recognizer.open()
        await session.ready()
        session.feed(said("I want to confirm") + bytes([SILENCE_BYTE]) * FRAME_BYTES * 50)
        heard = asyncio.ensure_future(_everything(session.events()))
        await asyncio.sleep(0.1)
        open_while_listening = not heard.done()
        await session.aclose()
        await recognizer.aclose()
        return open_while_listening, await asyncio.wait_for(heard, 5)

    assert asyncio.run(scenario()) == (True, [])
