"""The agent's turn in a consult step, asked of a language model: the same for the
server's calls and for simulated ones.

The model is told the step's prompt (after the system prompt and the output contract),
sees the call's transcript as the conversation so far, the caller's last words last
("" when they kept silent), and may call the tools the step offers. Its reply is read
for the words meant for the caller only, and its tool calls are checked against the
step's offer. A timeout or an error is never the caller's problem: the fallback line is
said and the call goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from runner.agent._client import AgentClient, AgentPools
from runner.agent._errors import AgentError
from runner.agent._reply import ChatMessage, ModelReply
from runner.agent._spoken import Spoken, read_spoken
from runner.agent._tools import CheckedCalls, check_calls, ends_turn, tool_specs
from runner.config import AgentSettings
from runner.types import AgentAction, AgentReply, Consult, Speaker, TranscriptEntry

logger = logging.getLogger("callflow.agent")


@dataclass(frozen=True)
class AgentAnswer:
    """The agent's answer to one consult turn: the words to say ("" for none), whether
    the conversation is over, and the call actions it took (checked)."""

    text: str
    done: bool = False
    actions: tuple[AgentAction, ...] = ()

    def event(self, *, id: str, at: float) -> AgentReply:
        """The engine event that carries this answer into the call."""
        return AgentReply(id=id, at=at, text=self.text, done=self.done, actions=self.actions)


class ConsultAgent:
    """Answers consult steps with the agent of ``settings``; a step may override the
    model, the system prompt, the timeout and the fallback line."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self._pools = AgentPools()
        self._client = AgentClient(settings, self._pools)

    def timeout_of(self, consult: Consult) -> float:
        """Seconds the agent has to answer ``consult``: the step's own timeout, else the agent's."""
        return self.settings.timeout if consult.own_timeout is None else consult.own_timeout

    async def reply(
        self, call_id: str, consult: Consult, transcript: Sequence[TranscriptEntry], wait: float | None = None
    ) -> AgentAnswer:
        """What to do for the caller: the model's spoken words and actions, or the
        fallback line when it does not answer in time (``timeout_of``, and at most
        ``wait`` seconds) or fails."""
        settings = self.settings
        fallback = settings.fallback if consult.fallback is None else consult.fallback
        seconds = self.timeout_of(consult) if wait is None else min(wait, self.timeout_of(consult))
        deadline = asyncio.get_running_loop().time() + seconds
        messages = conversation(transcript, consult.heard)
        answer: AgentAnswer | None = None
        try:
            reply = await self._ask(consult, messages, seconds)
            answer = supplied_answer(reply, consult, call_id)
            if not answer.text and reply.tool_calls and not ends_turn(answer.actions):
                checked = check_calls(reply.tool_calls, consult)
                spoken = await self._words_after_tools(call_id, consult, messages, reply, checked, deadline)
                answer = AgentAnswer(spoken.text, spoken.done, answer.actions)
        except AgentError as error:
            logger.warning("call %s: the agent did not answer (%s); saying the fallback line", call_id, error)
            return AgentAnswer(fallback, actions=answer.actions if answer is not None else ())
        return answer

    async def _ask(self, consult: Consult, messages: Sequence[ChatMessage], seconds: float) -> ModelReply:
        base = self.settings.system_prompt if consult.system_prompt is None else consult.system_prompt
        return await self._client.complete(
            messages,
            tools=tool_specs(consult),
            model=consult.model,
            system_prompt=f"{base.strip()}\n\n{consult.prompt.strip()}".strip(),
            timeout=seconds,
        )

    async def _words_after_tools(
        self,
        call_id: str,
        consult: Consult,
        messages: list[ChatMessage],
        reply: ModelReply,
        checked: CheckedCalls,
        deadline: float,
    ) -> Spoken:
        """The model called tools and said nothing: tell it what came of them and ask once
        more, in the time left, for the words to say."""
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return Spoken("")
        ids = [call.id or f"call-{index}" for index, call in enumerate(reply.tool_calls)]
        calls = [{**call.as_api(), "id": ids[index]} for index, call in enumerate(reply.tool_calls)]
        messages = [*messages, {"role": "assistant", "content": reply.content, "tool_calls": calls}]
        messages.extend(
            {"role": "tool", "content": result, "tool_call_id": ids[index]}
            for index, (_, result) in enumerate(checked.results)
        )
        again = await self._ask(consult, messages, left)
        if again.tool_calls:
            # One round of actions a turn: a second round would let a model loop on tools.
            names = ", ".join(call.name for call in again.tool_calls)
            logger.warning("call %s: ignored the agent's second round of tool calls (%s)", call_id, names)
        return read_spoken(again)

    async def aclose(self) -> None:
        await self._pools.aclose()


def supplied_answer(reply: ModelReply, consult: Consult, call_id: str) -> AgentAnswer:
    """A reply given in advance (simulate's --agent-reply, a flow test's agent_replies),
    read as a model's first reply is: its spoken words, its done, its tool calls checked
    against the step's offer (the refused ones logged)."""
    checked = check_calls(reply.tool_calls, consult)
    for call, why in checked.refused:
        logger.warning("call %s: refused the agent's call of tool %s: %s", call_id, call.name, why)
    spoken = read_spoken(reply)
    return AgentAnswer(spoken.text, spoken.done, checked.actions)


def conversation(transcript: Sequence[TranscriptEntry], heard: str) -> list[ChatMessage]:
    """The call so far as chat turns: the caller's words the user's, the rest the
    assistant's; the caller's last words end it (as a turn of their own if the
    transcript does not end with them; "" when they kept silent)."""
    messages: list[ChatMessage] = [
        {"role": "user" if entry.speaker is Speaker.CALLER else "assistant", "content": entry.text}
        for entry in transcript
    ]
    if not messages or messages[-1]["role"] != "user" or messages[-1]["content"] != heard:
        messages.append({"role": "user", "content": heard})
    return messages
