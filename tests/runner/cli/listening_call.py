"""A call left listening at its menu on a real ``callflow serve`` on the mock carrier, for
the tests that steer it, end it or stop its server under it."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from runner.store import open_store
from runner.types import CallRecord
from tests.conftest import CLI, EXAMPLES

REMINDER = EXAMPLES / "appointment-reminder.yaml"


def mock_config(folder: Path, data_dir: Path, port: int, flows: list[Path]) -> Path:
    """A mock-carrier config in a folder of its own (the server's output goes beside it)."""
    folder.mkdir()
    path = folder / "callflow.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            provider: mock
            from_number: "+14155550199"
            serve: {{port: {port}}}
            flows: [{", ".join(str(flow) for flow in flows)}]
            data_dir: {data_dir}
            """
        ),
        encoding="utf-8",
    )
    return path


def record_of(data_dir: Path, call_id: str) -> CallRecord:
    with open_store(data_dir) as store:
        record = store.get(call_id)
    assert record is not None
    return record


def place_a_listening_call(cli: CLI, config: Path, data_dir: Path) -> str:
    """A reminder call whose callee stays silent at each prompt (six of them: each steer
    prompts again): it waits at its menu for a while."""
    placed = cli(
        "call", REMINDER, "--var", "name=Ada", "--var", "phone=+14155550100",
        *(["--input", "wait:20"] * 6), "--no-wait", "--config", config,
    )  # fmt: skip
    assert placed.code == 0, placed.err
    call_id = placed.out.split()[1]
    deadline = time.monotonic() + 10
    while record_of(data_dir, call_id).lifecycle != "listening":
        assert time.monotonic() < deadline, "the call never reached its menu"
        time.sleep(0.02)
    return call_id
