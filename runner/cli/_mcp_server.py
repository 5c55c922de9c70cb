"""The MCP server of ``callflow mcp``: the ``voice_call`` tool over stdio, with the official
``mcp`` package's low-level server (the tool's schema is written out by hand, in
``_voice_call``, rather than derived from a function's signature)."""

from __future__ import annotations

import argparse
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from runner.cli._voice_call import DESCRIPTION, INPUT_SCHEMA, TOOL_NAME, VoiceCallError, run_voice_call

INSTRUCTIONS = (
    "callflow places phone calls and lets you steer them: the voice_call tool's initiate_call "
    "places one, get_status tells how it goes, and in a conversation call you answer the caller "
    "with continue_call (which gives back the caller's next words) or speak_to_user."
)

VOICE_CALL = types.Tool(
    name=TOOL_NAME,
    title="Voice call",
    description=DESCRIPTION,
    input_schema=INPUT_SCHEMA,
    # It rings real phones: nothing an assistant should do twice on a guess.
    annotations=types.ToolAnnotations(
        title="Voice call", read_only_hint=False, destructive_hint=True, idempotent_hint=False
    ),
)


def _callflow_version() -> str:
    try:
        return version("callflow")
    except PackageNotFoundError:
        return "unknown"


def voice_call_server(args: argparse.Namespace) -> Server[Any]:
    """An MCP server with the one tool, steering calls through the server of ``args``'s config."""

    async def list_tools(
        context: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[VOICE_CALL])

    async def call_tool(
        context: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        if params.name != TOOL_NAME:
            raise MCPError(types.INVALID_PARAMS, f"unknown tool '{params.name}': the tool is {TOOL_NAME}")
        arguments = params.arguments or {}
        try:
            # The control client blocks while the server waits (continue_call, a status
            # with 'wait'): in a thread, so the protocol (pings, other calls) goes on.
            answer = await anyio.to_thread.run_sync(run_voice_call, args, arguments)
        except VoiceCallError as error:
            return types.CallToolResult(content=[types.TextContent(text=str(error))], is_error=True)
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(answer))], structured_content=answer
        )

    return Server(
        "callflow",
        version=_callflow_version(),
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_stdio(args: argparse.Namespace) -> None:
    """Serve the tool on this process's stdin and stdout until the assistant closes them."""

    async def serve() -> None:
        server = voice_call_server(args)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(serve)
