"""``--agent-url`` and ``--agent-model``: a real agent for the consult steps of the
calls ``simulate`` and ``test`` run offline."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re

from runner.cli._base import UsageError
from runner.cli._config_arg import load_config_or_fail
from runner.config import CREDENTIAL_ENV, AgentSettings, Secret
from runner.simulate import AgentEndpoint

_URL = re.compile(r"^https?://\S+$")


def add_agent_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent-url",
        metavar="URL",
        help="ask this OpenAI-compatible chat-completions API (its base address, as the config's "
        "agent.base_url) for the consult turns the supplied agent replies leave over",
    )
    parser.add_argument(
        "--agent-model",
        metavar="NAME",
        help="the model to ask at --agent-url (default: the config's agent.model)",
    )


def agent_endpoint(args: argparse.Namespace) -> AgentEndpoint | None:
    """The agent ``--agent-url`` names, with the rest of its settings (system prompt,
    timeout, fallback line) from the config's agent when it has one; None without the
    option. The config's API key goes only to the config's own address: elsewhere the
    key is the agent's environment variable's, if set."""
    if args.agent_url is None:
        if args.agent_model is not None:
            raise UsageError("--agent-model goes with --agent-url: the model to ask there")
        return None
    if not _URL.match(args.agent_url):
        raise UsageError(f"--agent-url takes an http:// or https:// address, found '{args.agent_url}'")
    configured = load_config_or_fail(args).agent
    model = args.agent_model or (None if configured is None else configured.model)
    if model is None:
        raise UsageError(
            "--agent-url needs --agent-model NAME: the config has no agent to take the model from"
        )
    key = os.environ.get(CREDENTIAL_ENV["agent.api_key"])
    api_key = Secret(key) if key else None
    if configured is None:
        return AgentEndpoint(AgentSettings(args.agent_url, model, api_key=api_key))
    if args.agent_url.rstrip("/") == configured.base_url.rstrip("/"):
        api_key = configured.api_key
    return AgentEndpoint(
        dataclasses.replace(configured, base_url=args.agent_url, model=model, api_key=api_key)
    )
