"""The agent: a language model behind an OpenAI-compatible chat-completions API.

``AgentClient.complete`` asks it for one reply (``ModelReply``); ``spoken_text`` reads
from that reply only the words meant for the caller, whatever the model wrapped around
them. ``AgentPools`` holds one connection pool per server for the whole process.
"""

from __future__ import annotations

from runner.agent._client import AgentClient, AgentPools
from runner.agent._consult import AgentAnswer, ConsultAgent, conversation, supplied_answer
from runner.agent._errors import AgentError, AgentStatusError, AgentTimeout
from runner.agent._reply import ChatMessage, ModelReply, ToolCall, ToolSpec
from runner.agent._spoken import SPOKEN_CONTRACT, Spoken, read_spoken, spoken_text, with_contract

__all__ = [
    "SPOKEN_CONTRACT",
    "AgentAnswer",
    "AgentClient",
    "AgentError",
    "AgentPools",
    "AgentStatusError",
    "AgentTimeout",
    "ChatMessage",
    "ConsultAgent",
    "ModelReply",
    "Spoken",
    "ToolCall",
    "ToolSpec",
    "conversation",
    "read_spoken",
    "spoken_text",
    "supplied_answer",
    "with_contract",
]
