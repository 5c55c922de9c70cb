"""One call on the realtime path: a speech-to-speech model talks with the caller over the
carrier's media stream.

The caller's audio goes to the model as it comes (queued while the model connects); the
model's speech is played (``Playback``), one utterance a response, each followed by its
mark. When the caller starts speaking the model stops on its own (the provider's turn
detection) and what is still playing is cleared: on this path the caller may always
interrupt, the greeting too, as a person on the line could. Both sides' words go into
the call's transcript.

What the model is told comes from the flow: its ``description``, and the consult prompt
of the step the call starts at (a realtime flow is a conversation, most often one
consult step). The lines the flow says first (its greeting, the step's ``say``) are the
model's opening, asked for word for word; the engine has already put them in the
transcript, so the model's rendering of them is not recorded twice. The flow's later
steps are not walked: the conversation is the model's until it calls ``end_call`` or
the caller hangs up.

Tools: ``consult`` (when an agent is configured) asks the flow's agent, which gets the
step's prompt and the transcript as a consult step would, and hands its answer back to
the model; ``end_call`` ends the call once what was said has been heard.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable

from runner.engine import TemplateFailure
from runner.media._playback import Playback
from runner.media._protocols import TWILIO_STREAMS, StreamProtocol
from runner.realtime import (
    BotAudio,
    BotAudioDone,
    CallerSpeechStarted,
    ProviderWarning,
    RealtimeError,
    RealtimeEvent,
    RealtimeProvider,
    RealtimeSession,
    RealtimeTool,
    ToolCalled,
    Transcript,
)
from runner.service import StreamedCall
from runner.types import Action, CallEnded, EndReason, Hangup, Speak, Speaker

logger = logging.getLogger("callflow.media")

CONSULT_TOOL = RealtimeTool(
    name="consult",
    description=(
        "Ask the agent behind this call, which knows more than you, for a deeper answer to "
        "the caller's question. Say its answer to the caller in your own words."
    ),
    parameters={
        "type": "object",
        "properties": {"question": {"type": "string", "description": "The caller's question, whole."}},
        "required": ["question"],
    },
)
END_CALL_TOOL = RealtimeTool(
    name="end_call",
    description="Hang up, once the conversation is over and you have said goodbye.",
)

_ROLE = (
    "You are the voice on this phone call, speaking with the caller. Speak briefly and "
    "naturally, one or two sentences at a time, in the caller's language."
)
_CONSULT_HINT = (
    "When the caller asks something these instructions do not answer, call the consult tool "
    "with their question and say its answer."
)
_ENDING = "When the conversation is over, say goodbye, then call end_call."


def instructions_for(description: str, prompt: str | None, *, consults: bool) -> str:
    """What the model is told for the whole call: its part, the flow's description and
    the consult prompt of the step the call starts at, and when to use its tools."""
    parts = [_ROLE]
    if description.strip():
        parts.append(f"About this call: {description.strip()}")
    if prompt is not None and prompt.strip():
        parts.append(prompt.strip())
    if consults:
        parts.append(_CONSULT_HINT)
    parts.append(_ENDING)
    return "\n\n".join(parts)


def say_exactly(text: str) -> str:
    """The instructions of a response that says ``text`` word for word."""
    return f'Say exactly this to the caller, and nothing else: "{text}"'


async def _spoken(pieces: asyncio.Queue[bytes | None]) -> AsyncGenerator[bytes, None]:
    """One response's audio as the model sends it, until its end (None)."""
    while (piece := await pieces.get()) is not None:
        yield piece


class RealtimeMediaSession:
    """The realtime path of one call; ``run`` it once its stream has started."""

    def __init__(
        self,
        call: StreamedCall,
        provider: RealtimeProvider,
        send: Callable[[str], Awaitable[None]],
        stream_sid: str,
        protocol: StreamProtocol = TWILIO_STREAMS,
    ) -> None:
        self.call = call
        self.provider = provider
        self.playback = Playback(send, stream_sid, protocol)
        #: Set once the call is over on this stream.
        self.finished = asyncio.Event()
        self._session: RealtimeSession | None = None
        self._early: list[bytes] = []
        #: The audio of each response being spoken, by the response's id.
        self._speaking: dict[str, asyncio.Queue[bytes | None]] = {}
        #: The responses heard from so far; once the caller speaks, what still comes of
        #: them (the model stops a moment later) is never played.
        self._responses: set[str] = set()
        self._cut: set[str] = set()
        self._opening_recorded = True
        self._tasks: set[asyncio.Task[None]] = set()

    # -- from the stream ----------------------------------------------------------------

    def heard_audio(self, audio: bytes) -> None:
        if self._session is None:
            self._early.append(audio)  # the model is still connecting: nothing is lost
        else:
            self._session.send_audio(audio)

    def pressed(self, digit: str) -> None:
        logger.debug("call %s: key %s is not heard on the realtime path", self.call.call_id, digit)

    def mark_played(self, name: str) -> None:
        self.playback.heard(name)

    # -- from outside (the control API) ---------------------------------------------------

    def perform(self, actions: list[Action]) -> None:
        self._spawn(self._perform(actions))

    # -- the session ----------------------------------------------------------------------

    async def run(self) -> None:
        """Connect the model, have it open the call, and carry on until the call is over."""
        self._spawn(self.playback.run())
        opening = " ".join(action.text for action in self.call.take_pending() if isinstance(action, Speak))
        try:
            session = await self._connect()
        except (RealtimeError, TemplateFailure) as error:
            logger.error("call %s: the realtime model could not take the call: %s", self.call.call_id, error)
            await self.call.fail(f"the realtime model could not take the call: {error}")
            self.finished.set()
            return
        self._session = session
        for audio in self._early:
            session.send_audio(audio)
        self._early.clear()
        self.call.attach(self)
        try:
            self._opening_recorded = not opening
            await session.respond(say_exactly(opening) if opening else None)
            async for event in session.events():
                await self._handle(event)
        except RealtimeError as error:
            logger.error("call %s: %s", self.call.call_id, error)
            await self.call.fail(str(error))
            self.finished.set()
        finally:
            self.call.attach(None)

    async def close(self) -> None:
        """The stream is gone for good: stop playing, and let the model go."""
        self.finished.set()
        for task in list(self._tasks):
            task.cancel()
        await self.playback.close()
        if self._session is not None:
            await self._session.aclose()

    async def _connect(self) -> RealtimeSession:
        call = self.call
        instructions = instructions_for(call.description, call.consult_prompt(), consults=call.has_agent)
        tools = (CONSULT_TOOL, END_CALL_TOOL) if call.has_agent else (END_CALL_TOOL,)
        return await self.provider.connect(instructions, tools)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the model's events -------------------------------------------------------------

    async def _handle(self, event: RealtimeEvent) -> None:
        if isinstance(event, BotAudio):
            if event.response in self._cut:
                return
            self._responses.add(event.response)
            pieces = self._speaking.get(event.response)
            if pieces is None:
                pieces = self._speaking[event.response] = asyncio.Queue()
                self.playback.say(_spoken(pieces), interruptible=True)
            pieces.put_nowait(event.audio)
        elif isinstance(event, BotAudioDone):
            ended = self._speaking.pop(event.response, None)
            if ended is not None:
                ended.put_nowait(None)
        elif isinstance(event, CallerSpeechStarted):
            await self._barge_in()
        elif isinstance(event, Transcript):
            await self._note(event)
        elif isinstance(event, ToolCalled):
            self._spawn(self._answer_tool(event))
        elif isinstance(event, ProviderWarning):
            logger.warning("call %s: %s", self.call.call_id, event.message)

    async def _barge_in(self) -> None:
        for pieces in self._speaking.values():
            pieces.put_nowait(None)
        self._cut.update(self._responses)
        self._responses.clear()
        self._speaking.clear()
        stopped = await self.playback.interrupt()
        if stopped:
            logger.info("call %s: the caller barged in; %d said things skipped", self.call.call_id, stopped)

    async def _note(self, said: Transcript) -> None:
        if said.speaker is Speaker.BOT and not self._opening_recorded:
            self._opening_recorded = True  # the engine recorded the opening lines as it made them
            return
        await self.call.note(said.speaker, said.text)

    async def _answer_tool(self, called: ToolCalled) -> None:
        session = self._session
        if session is None:
            return
        if called.name == "end_call":
            await self._end()
        elif called.name == "consult":
            await session.send_tool_result(called.call_id, await self._consult(called))
        else:
            await session.send_tool_result(called.call_id, f"There is no tool named {called.name!r}.")

    async def _consult(self, called: ToolCalled) -> str:
        question = str(called.arguments.get("question") or "").strip()
        if not question:
            return "Call consult with the caller's question."
        if not self.call.has_agent:
            return "No agent can be asked on this call: answer as well as you can."
        answer = await self.call.ask_agent(question)
        return answer or "The agent has no answer to that."

    async def _end(self) -> None:
        """The model ends the call: once what it said was heard, the carrier hangs up."""
        await self.playback.drained()
        call = self.call
        if not call.ended:
            await call.apply(CallEnded(id=call.event_id(), at=call.clock(), reason=EndReason.HANGUP_BOT))
        await call.hang_up()
        self.finished.set()

    async def _perform(self, actions: list[Action]) -> None:
        """Actions from outside: words are given to the model to say, a hang-up ends the call."""
        for action in actions:
            if isinstance(action, Speak) and self._session is not None:
                await self._session.respond(say_exactly(action.text))
            elif isinstance(action, Hangup):
                await self._end()
                return
            else:
                logger.warning(
                    "call %s: %s is skipped on the realtime path", self.call.call_id, type(action).__name__
                )
