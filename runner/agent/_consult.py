"""The agent's turn in a consult step, asked of a language model: the same for the
server's calls and for simulated ones.

The model is told the step's prompt (after the config's system prompt and the output
contract), sees the call's transcript as the conversation so far, the caller's last
words last, and its reply is read for the words meant for the caller only. A timeout or
an error is never the caller's problem: the fallback line is said and the call goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from runner.agent._client import AgentClient, AgentPools
from runner.agent._errors import AgentError
from runner.agent._reply import ChatMessage
from runner.agent._spoken import spoken_text
from runner.config import AgentSettings
from runner.types import Consult, Speaker, TranscriptEntry

logger = logging.getLogger("callflow.agent")


class ConsultAgent:
    """Answers consult steps with the agent of ``settings``."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self._pools = AgentPools()
        self._client = AgentClient(settings, self._pools)

    async def reply(
        self, call_id: str, consult: Consult, transcript: Sequence[TranscriptEntry], wait: float
    ) -> str:
        """What to say to the caller: the model's spoken words ("" for none), or the
        fallback line when it does not answer within ``wait`` seconds or fails."""
        settings = self.settings
        system_prompt = f"{settings.system_prompt.strip()}\n\n{consult.prompt.strip()}".strip()
        try:
            reply = await self._client.complete(
                conversation(transcript, consult.heard),
                system_prompt=system_prompt,
                timeout=min(wait, settings.timeout),
            )
        except AgentError as error:
            logger.warning("call %s: the agent did not answer (%s); saying the fallback line", call_id, error)
            return settings.fallback
        return spoken_text(reply)

    async def aclose(self) -> None:
        await self._pools.aclose()


def conversation(transcript: Sequence[TranscriptEntry], heard: str) -> list[ChatMessage]:
    """The call so far as chat turns: the caller's words the user's, the rest the
    assistant's; the caller's last words end it (as a turn of their own if the
    transcript does not end with them)."""
    messages: list[ChatMessage] = [
        {"role": "user" if entry.speaker is Speaker.CALLER else "assistant", "content": entry.text}
        for entry in transcript
    ]
    if not messages or messages[-1]["role"] != "user" or messages[-1]["content"] != heard:
        messages.append({"role": "user", "content": heard})
    return messages
