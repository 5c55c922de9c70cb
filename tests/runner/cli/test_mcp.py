"""``callflow mcp`` as an assistant sees it: spawned over stdio by the ``mcp`` package's own
client, its one tool, ``voice_call``, places and steers calls of a real ``callflow serve``
on the mock carrier through the control API, and its errors are the CLI's words."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from runner.builtin import DTMF_NEEDS_CONVERSATION
from tests.conftest import CLI, PROJECT
from tests.runner.cli.listening_call import REMINDER, mock_config
from tests.runner.cli.serve_process import ServeProcess

CALLEE = "+14155550100"
ACTIONS = ["initiate_call", "continue_call", "speak_to_user", "send_dtmf", "end_call", "get_status"]


class Assistant:
    """What an assistant does with the tool: call it, and read its JSON answer or its error."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def call(self, **arguments: Any) -> CallToolResult:
        return await self.session.call_tool("voice_call", arguments)

    async def answer(self, **arguments: Any) -> dict[str, Any]:
        result = await self.call(**arguments)
        assert not result.is_error, result.content
        (content,) = result.content
        assert content.type == "text"
        answer: dict[str, Any] = json.loads(content.text)
        assert result.structured_content == answer
        return answer

    async def error(self, **arguments: Any) -> str:
        result = await self.call(**arguments)
        assert result.is_error, result.content
        (content,) = result.content
        assert content.type == "text"
        return content.text

    async def status_once(self, call_id: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The call's status once ``ready`` says so (asked again and again, as an assistant would)."""
        deadline = time.monotonic() + 10
        while not ready(status := await self.answer(action="get_status", call_id=call_id)):
            assert time.monotonic() < deadline, status
            await anyio.sleep(0.02)
        return status


@asynccontextmanager
async def assistant_of(config: Path, errors: Path) -> AsyncIterator[Assistant]:
    """``callflow mcp --config CONFIG`` spawned as an assistant spawns it; its stderr to ``errors``."""
    server = StdioServerParameters(
        command=sys.executable,
        args=["-c", "from runner.cli import run; run()", "mcp", "--config", str(config)],
        env={"PYTHONPATH": str(PROJECT)},
    )
    with errors.open("w", encoding="utf-8") as errlog:
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield Assistant(session)
    # Nothing on stderr: no traceback, no warning; the protocol has stdout to itself.
    assert errors.read_text(encoding="utf-8") == ""


@pytest.fixture
def config(tmp_path: Path, port: int) -> Path:
    return mock_config(tmp_path / "server", tmp_path / "data", port, [REMINDER])


@pytest.fixture
def server(config: Path, port: int) -> Iterator[ServeProcess]:
    running = ServeProcess(config, port).start()
    yield running
    assert running.stop() == 0


def test_the_one_tool_is_voice_call_with_an_action_of_each_operation(config: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            (tool,) = (await assistant.session.list_tools()).tools
            assert tool.name == "voice_call"
            schema = tool.input_schema
            assert (schema["type"], schema["required"]) == ("object", ["action"])
            assert schema["properties"]["action"]["enum"] == ACTIONS
            assert schema["properties"]["mode"]["enum"] == ["notify", "conversation"]
            fields = {"call_id", "to", "message", "mode", "dtmf_sequence", "flow", "vars", "inputs"}
            assert fields | {"text", "timeout", "digits", "wait"} <= set(schema["properties"])
            assert all(action in (tool.description or "") for action in ACTIONS)
            # docs/mcp.md tells every action and field of the tool the assistant is given.
            documented = (PROJECT / "docs" / "mcp.md").read_text(encoding="utf-8")
            assert [name for name in [*ACTIONS, *schema["properties"]] if f"`{name}`" not in documented] == []

    anyio.run(scenario)


def test_a_message_call_is_placed_and_followed_to_its_end(
    server: ServeProcess, config: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            placed = await assistant.answer(
                action="initiate_call", message="Your parcel arrives today.", to=CALLEE, mode="notify"
            )
            assert (placed["flow"], placed["to_number"], placed["end_reason"]) == (
                "callflow-message",
                CALLEE,
                None,
            )
            ended = await assistant.status_once(placed["id"], lambda status: status["end_reason"] is not None)
            assert ended["end_reason"] == "completed"
            assert [entry["text"] for entry in ended["transcript"]] == ["Your parcel arrives today."]
            waited = await assistant.answer(action="get_status", call_id=placed["id"], wait=5)
            assert (waited["end_reason"], waited["waiting_for"]) == ("completed", None)

    anyio.run(scenario)


def test_a_conversation_is_steered_by_the_assistant_as_its_agent(
    server: ServeProcess, config: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            placed = await assistant.answer(
                action="initiate_call",
                message="Your table is booked for eight.",
                to=CALLEE,
                mode="conversation",
                inputs=["say:Can we make it nine?", "say:Thanks", "wait:20"],
            )
            call_id = placed["id"]
            asked = await assistant.status_once(call_id, lambda status: status["waiting_for"] == "agent")
            assert asked["transcript"][-1]["text"] == "Can we make it nine?"
            heard = await assistant.answer(action="continue_call", call_id=call_id, text="Nine it is.")
            assert heard == {"heard": "Thanks"}
            said = await assistant.answer(action="speak_to_user", call_id=call_id, text="Goodbye.")
            assert said == {"ok": True}
            ended = await assistant.answer(action="end_call", call_id=call_id)
            assert ended["end_reason"] == "hangup-bot"
            assert [(entry["speaker"], entry["text"]) for entry in ended["transcript"]] == [
                ("bot", "Your table is booked for eight."),
                ("caller", "Can we make it nine?"),
                ("agent", "Nine it is."),
                ("caller", "Thanks"),
                ("agent", "Goodbye."),
            ]

    anyio.run(scenario)


def test_digits_go_into_a_call_of_a_flow_and_an_ended_call_is_refused_as_the_cli_refuses_it(
    server: ServeProcess, config: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            placed = await assistant.answer(
                action="initiate_call",
                flow="appointment-reminder",
                vars={"name": "Ada", "phone": CALLEE},
                inputs=["wait:20"] * 6,
            )
            call_id = placed["id"]
            await assistant.status_once(call_id, lambda status: status["lifecycle"] == "listening")
            assert await assistant.answer(action="send_dtmf", call_id=call_id, digits="ww9") == {"ok": True}
            assert (await assistant.answer(action="end_call", call_id=call_id))["end_reason"] == "hangup-bot"
            ended = f"call '{call_id}' cannot be steered: it has ended (hangup-bot)"
            assert await assistant.error(action="end_call", call_id=call_id) == ended
            assert await assistant.error(action="speak_to_user", call_id=call_id, text="Hi") == ended
            assert await assistant.error(action="send_dtmf", call_id=call_id, digits="1") == ended

    anyio.run(scenario)


def test_the_servers_refusals_come_back_as_tool_errors_in_the_clis_words(
    cli: CLI, server: ServeProcess, config: Path, tmp_path: Path
) -> None:
    def cli_error(command: str, *arguments: str) -> str:
        result = cli(command, *arguments, "--config", config)
        assert result.code != 0
        prefix = f"callflow {command}: error: "
        assert result.err.startswith(prefix), result.err
        return result.err.removeprefix(prefix).rstrip("\n")

    unknown = cli_error("end", "--call-id", "call-nope")
    bad_number = cli_error("call", "--message", "Hi", "--to", "not a number")
    assert unknown == "no call with id 'call-nope'"

    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            assert await assistant.error(action="get_status", call_id="call-nope") == unknown
            assert await assistant.error(action="end_call", call_id="call-nope") == unknown
            assert (
                await assistant.error(action="initiate_call", message="Hi", to="not a number") == bad_number
            )
            assert (
                await assistant.error(action="initiate_call", message="Hi", to=CALLEE, dtmf_sequence="12")
                == DTMF_NEEDS_CONVERSATION
            )

    anyio.run(scenario)


def test_with_no_server_running_the_tool_says_to_start_one(config: Path, tmp_path: Path, port: int) -> None:
    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            assert await assistant.error(action="get_status", call_id="call-1") == (
                f"no callflow server is running at http://127.0.0.1:{port} with the data folder "
                f"{tmp_path / 'data'}; start one with 'callflow serve'"
            )

    anyio.run(scenario)


def test_a_bad_action_or_field_is_a_tool_error_naming_it(config: Path, tmp_path: Path) -> None:
    actions = ", ".join(ACTIONS)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"action": "dial"}, f"unknown action 'dial': the actions are {actions}"),
        ({"call_id": "call-1"}, f"'action' is missing: one of {actions}"),
        ({"action": "send_dtmf", "call_id": "call-1"}, "'digits' is missing: send_dtmf needs 'call_id', 'digits'"),
        ({"action": "get_status", "call_id": 7}, "'call_id' must be text"),
        ({"action": "continue_call", "call_id": "c", "text": "Hi", "timeout": True}, "'timeout' must be a number of seconds"),
        ({"action": "end_call", "call_id": "c", "digits": "1"}, "'digits' does not go with end_call, which takes 'call_id'"),
        ({"action": "get_status", "call_id": "c", "colour": "red"}, "unknown field 'colour': get_status takes 'call_id', 'wait'"),
        ({"action": "initiate_call", "to": CALLEE}, "initiate_call needs 'message' (the text to say, with 'to') or 'flow' (the name of a flow the server loads)"),
        ({"action": "initiate_call", "message": "Hi"}, "'to' is needed with 'message': the number to call"),
        ({"action": "initiate_call", "flow": "appointment-reminder", "mode": "notify"}, "'mode' goes with 'message'; a flow sets its own"),
        ({"action": "initiate_call", "message": "Hi", "to": CALLEE, "vars": {}}, "'vars' goes with a flow; a 'message' call takes 'to', 'mode' and 'dtmf_sequence'"),
    ]  # fmt: skip

    async def scenario() -> None:
        async with assistant_of(config, tmp_path / "mcp.err") as assistant:
            for arguments, message in cases:
                assert await assistant.error(**arguments) == message, arguments
            # A field given as null is one left out, as models fill in every field they see.
            assert await assistant.error(action="get_status", call_id=None, wait=None) == (
                "'call_id' is missing: get_status needs 'call_id'"
            )

    anyio.run(scenario)


def test_the_help_shows_the_assistant_configuration(cli: CLI) -> None:
    result = cli("mcp", "--help")
    assert (result.code, result.err) == (0, "")
    assert '"args": ["mcp", "--config", "/path/to/callflow.yaml"]' in result.out
    assert "exit status: 0 the assistant closed the connection, 2 the config cannot be read" in " ".join(
        result.out.split()
    )


def test_a_config_that_cannot_be_read_is_exit_2_before_serving(cli: CLI, tmp_path: Path) -> None:
    result = cli("mcp", "--config", tmp_path / "missing.yaml")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("callflow mcp: error: ")
