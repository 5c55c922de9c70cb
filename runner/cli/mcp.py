"""``callflow mcp``: callflow as a tool for assistants, over the Model Context Protocol."""

from __future__ import annotations

import argparse

from runner.cli._config_arg import load_config_or_fail
from runner.cli._server_args import add_server_arguments

HELP = "serve the voice_call tool to an AI assistant over MCP (stdio), through the running server"
DESCRIPTION = """\
Serve the Model Context Protocol on stdin and stdout, for an MCP-capable assistant
that starts this command itself: one tool, voice_call, whose action places a call
(initiate_call: a message, or a flow with its vars), steers it (continue_call,
speak_to_user, send_dtmf, end_call) or looks at it (get_status).

Each action goes through the control API of the running server of the config
('callflow serve', same config and data folder), as 'callflow call', 'speak',
'continue', 'dtmf' and 'end' do, and fails as they do: with no server running, a
tool error says to start one. docs/mcp.md lists the actions and their fields.

In the assistant's configuration (Claude Desktop: claude_desktop_config.json):

  {"mcpServers": {"callflow": {
      "command": "callflow",
      "args": ["mcp", "--config", "/path/to/callflow.yaml"]}}}

exit status: 0 the assistant closed the connection, 2 the config cannot be read,
130 Ctrl-C."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "mcp", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # A config that cannot be read is told now, once, rather than in every tool call.
    load_config_or_fail(args)
    # The mcp package takes about a second to import: only this command pays for it.
    from runner.cli._mcp_server import serve_stdio

    serve_stdio(args)
    return 0
