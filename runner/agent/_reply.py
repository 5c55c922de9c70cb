"""What goes to the agent and what comes back, in the shape of OpenAI's chat-completions API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict


class ChatMessage(TypedDict):
    """One turn of the conversation as the API takes it; the system prompt is added by the client.

    An assistant turn that called tools carries them (``tool_calls``, in the API's shape),
    and each call's result follows as a ``tool`` turn naming it (``tool_call_id``)."""

    role: Literal["user", "assistant", "tool"]
    content: str
    tool_calls: NotRequired[list[dict[str, Any]]]
    tool_call_id: NotRequired[str]


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call; ``parameters`` is a JSON Schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def as_api(self) -> dict[str, Any]:
        function = {"name": self.name, "description": self.description, "parameters": dict(self.parameters)}
        return {"type": "function", "function": function}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any]
    #: The API's id of the call, for answering it in a later turn; "" when the server gave none.
    id: str = ""

    def as_api(self) -> dict[str, Any]:
        """The call as an assistant turn carries it back to the API."""
        function = {"name": self.name, "arguments": json.dumps(dict(self.arguments))}
        return {"id": self.id, "type": "function", "function": function}


@dataclass(frozen=True)
class ModelReply:
    """The model's reply as it came: read ``spoken_text`` of it for what may be said aloud."""

    content: str
    #: A separate reasoning field (``reasoning_content`` or ``reasoning``), never spoken.
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    #: "stop", "length", "tool_calls", ...; None when the server did not say.
    finish_reason: str | None = None
