"""Read a chat completion, whole or streamed as server-sent events, into a ``ModelReply``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.agent._errors import AgentError
from runner.agent._reply import ModelReply, ToolCall

_REASONING_FIELDS = ("reasoning_content", "reasoning")


def reply_from_completion(body: Any) -> ModelReply:
    """A whole (not streamed) chat completion's first choice."""
    choice = _first_choice(body)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise AgentError("the agent's reply has no message in its first choice")
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise AgentError("the agent's reply has tool_calls that are not a list")
    return ModelReply(
        content=_text(message.get("content")),
        reasoning=_reasoning(message),
        tool_calls=tuple(_tool_call(call) for call in calls),
        finish_reason=_finish_reason(choice),
    )


@dataclass
class _PartialToolCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class StreamedReply:
    """Puts a streamed reply back together, one ``data:`` chunk at a time."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    # Keyed by the chunk's index: a call's name and arguments arrive in pieces.
    tool_calls: dict[int, _PartialToolCall] = field(default_factory=dict)
    finish_reason: str | None = None

    def add(self, chunk: Any) -> None:
        choice = _first_choice(chunk, allow_none=True)
        if choice is None:
            # A usage-only chunk, sent last by some servers.
            return
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            raise AgentError("the agent streamed a chunk whose delta is not an object")
        self.content.append(_text(delta.get("content")))
        self.reasoning.append(_reasoning(delta) or "")
        for piece in delta.get("tool_calls") or []:
            self._add_tool_call(piece)
        self.finish_reason = _finish_reason(choice) or self.finish_reason

    def reply(self) -> ModelReply:
        reasoning = "".join(self.reasoning)
        calls = [
            {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
            for _, call in sorted(self.tool_calls.items())
        ]
        return ModelReply(
            content="".join(self.content),
            reasoning=reasoning or None,
            tool_calls=tuple(_tool_call(call) for call in calls),
            finish_reason=self.finish_reason,
        )

    def _add_tool_call(self, piece: Any) -> None:
        if not isinstance(piece, dict):
            raise AgentError("the agent streamed a tool call that is not an object")
        index = piece.get("index", len(self.tool_calls))
        if not isinstance(index, int):
            raise AgentError("the agent streamed a tool call whose index is not a number")
        call = self.tool_calls.setdefault(index, _PartialToolCall())
        call.id = call.id or _text(piece.get("id"))
        function = piece.get("function") or {}
        call.name += _text(function.get("name"))
        arguments = function.get("arguments")
        # Ollama sends the arguments whole, as an object, where others stream text.
        call.arguments += json.dumps(arguments) if isinstance(arguments, dict) else _text(arguments)


def _first_choice(body: Any, *, allow_none: bool = False) -> Any:
    if isinstance(body, dict) and "error" in body and "choices" not in body:
        raise AgentError(f"the agent answered an error: {_error_text(body['error'])}")
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        raise AgentError("the agent's answer is not a chat completion (it has no choices)")
    if not choices:
        if allow_none:
            return None
        raise AgentError("the agent's answer has no choices")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise AgentError("the agent's answer has a choice that is not an object")
    return choice


def _tool_call(call: Any) -> ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        raise AgentError("the agent asked for a tool call without a function name")
    name: str = function["name"]
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            raise AgentError(f"the agent's call of tool {name} has arguments that are not JSON") from None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise AgentError(f"the agent's call of tool {name} has arguments that are not an object")
    return ToolCall(name=name, arguments=arguments, id=_text(call.get("id")))


def _reasoning(message: Mapping[str, Any]) -> str | None:
    for name in _REASONING_FIELDS:
        value = message.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _finish_reason(choice: Mapping[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return reason if isinstance(reason, str) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _error_text(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:200]
    return str(error)[:200]
