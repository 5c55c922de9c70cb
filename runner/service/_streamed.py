"""A call whose audio goes through a media stream: what the media path may do with it.

On the streaming path the carrier's answer webhook gets a document that opens the
stream (``stream_document``); the actions the answer produced wait on the call
(``LiveCall.pending``) until the stream starts and the media path performs them. From
then on the caller's words come from the stream, not from webhooks: the media path
applies them here, as a webhook would, and is given the actions to perform.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flows import Step
from runner.dialects import stream
from runner.engine import render_text
from runner.service._consults import settle_consults
from runner.service._desk import CallDesk
from runner.service._live_calls import ActionSink, LiveCall
from runner.types import Action, AnyEvent, CallEnded, Consult, EndReason, Speaker, TranscriptEntry

#: The URL suffix of the media socket, after the webhook's path.
STREAM_SUFFIX = "/stream"


def stream_url(webhook_url: str) -> str:
    """The media socket's URL: the webhook's, over WebSocket, with ``/stream`` added."""
    scheme, rest = webhook_url.split("://", 1)
    path = rest.split("?", 1)[0].rstrip("/")
    return f"{'wss' if scheme == 'https' else 'ws'}://{path}{STREAM_SUFFIX}"


def audio_path(desk: CallDesk, live: LiveCall) -> str:
    """How the call hears and speaks: the flow's audio, else the config's."""
    return live.engine.flow.audio or desk.settings.audio_path


def uses_stream(desk: CallDesk, live: LiveCall) -> bool:
    """Whether the call's audio goes through a media stream: streaming calls, and realtime
    ones while a realtime provider is ready (without one they take the gather path)."""
    path = audio_path(desk, live)
    return path == "streaming" or (path == "realtime" and desk.settings.realtime)


def stream_document(desk: CallDesk, live: LiveCall, actions: list[Action]) -> str:
    """The answer that opens the call's stream; ``actions`` wait for the stream to start."""
    live.pending = tuple(actions)
    token = desk.stream_tokens.mint(live.call.id)
    url = stream_url(desk.settings.webhook_url)
    live.last_document = stream(desk.provider.dialect, url, {"token": token})
    return live.last_document


class StreamedCall:
    """One call on the media path, as the media session sees it."""

    def __init__(self, desk: CallDesk, live: LiveCall) -> None:
        self._desk = desk
        self._live = live

    @property
    def call_id(self) -> str:
        return self._live.call.id

    @property
    def ended(self) -> bool:
        return self._live.call.ended

    @property
    def turn_token(self) -> str | None:
        """The token of the turn that waits for the caller; None when none does."""
        call = self._live.call
        return call.turn_token if call.turn is not None and not call.awaiting_agent else None

    def step(self, step_id: str | None) -> Step | None:
        return None if step_id is None else self._live.engine.flow.steps.get(step_id)

    @property
    def audio(self) -> str:
        """The call's audio path: "streaming" or "realtime" (the media path's kind)."""
        return audio_path(self._desk, self._live)

    @property
    def filler(self) -> str:
        return self._desk.settings.agent_filler

    def clock(self) -> float:
        return self._desk.clock()

    def event_id(self) -> str:
        return self._desk.event_id()

    def take_pending(self) -> list[Action]:
        """The actions waiting for the stream (the answer's), once."""
        pending, self._live.pending = self._live.pending, ()
        return list(pending)

    def attach(self, sink: ActionSink | None) -> None:
        """Where control actions go while the stream is up (None: back to redirects)."""
        self._live.media = sink

    async def apply(self, event: AnyEvent) -> list[Action]:
        """Apply ``event`` to the call and save it; the actions it produced (a Consult
        last when a consult step asks the agent: see ``consult``)."""
        actions = self._desk.apply(self._live, event, save=False)
        await self._save()
        return actions

    async def consult(self, consult: Consult, say_filler: Callable[[str], None]) -> list[Action]:
        """Ask the agent (or wait for a reply from outside) and carry its answer into the
        call; ``say_filler`` is told the filler line once when the answer is slow."""
        settled = await settle_consults(self._desk, self._live, [consult])
        while settled.pending is not None:
            wait = settled.pending
            if not wait.filler_said:
                wait.filler_said = True
                if self.filler:
                    say_filler(self.filler)
            settled = await settle_consults(self._desk, self._live, [], wait)
        await self._save()
        return settled.actions

    # -- for a realtime model: what it is told, what it asks, what it said ---------------

    @property
    def description(self) -> str:
        return self._live.engine.flow.description

    def consult_prompt(self) -> str | None:
        """The consult prompt of the step the call is at, rendered; None at a step without one."""
        step = self.step(self._live.call.step)
        if step is None or step.consult is None:
            return None
        return render_text(step.consult.prompt, self._live.call.context, f"step '{step.id}' consult.prompt")

    @property
    def has_agent(self) -> bool:
        return self._desk.agent is not None

    async def ask_agent(self, question: str) -> str:
        """The configured agent's answer to ``question`` (its fallback line when it fails),
        asked as the consult step the call is at would ask it, with the transcript so far."""
        agent = self._desk.agent
        if agent is None:
            raise RuntimeError(f"call {self.call_id}: the agent was asked, but none is configured")
        step = self.step(self._live.call.step)
        flow_consult = step.consult if step is not None else None
        consult = Consult(
            prompt=self.consult_prompt() or "",
            heard=question,
            timeout=agent.settings.timeout,
            own_timeout=flow_consult.timeout if flow_consult is not None else None,
            model=flow_consult.model if flow_consult is not None else None,
            system_prompt=flow_consult.system_prompt if flow_consult is not None else None,
            fallback=flow_consult.fallback if flow_consult is not None else None,
        )
        record = self._live.call.record
        answer = await agent.reply(self.call_id, consult, tuple(record.transcript))
        return answer.text

    async def note(self, speaker: Speaker, text: str) -> None:
        """Words said on the call that no engine action made (a realtime model's, the
        caller's to it): into the transcript, saved."""
        call = self._live.call
        call.record.transcript.append(TranscriptEntry(speaker, text, self.clock(), call.step))
        await self._save()

    async def fail(self, reason: str) -> None:
        """The media path cannot go on: the call ends (reason error, saying ``reason``), and
        the carrier hangs up."""
        call = self._live.call
        if not call.ended:
            call.record.error = reason
            await self.apply(CallEnded(id=self.event_id(), at=self.clock(), reason=EndReason.ERROR))
        await self.hang_up()

    async def hand_over(self, actions: list[Action]) -> None:
        """Have the carrier perform ``actions`` itself (a transfer): the stream ends."""
        live, desk = self._live, self._desk
        if live.carrier_call_id is None:
            return  # a stream opens only for a call the carrier answered: never so
        if live.call.ended:
            # A transfer ended the call, which left memory: the resume fetch finds it here.
            desk.handed_over[live.call.id] = desk.document(live, actions)
        else:
            live.pending = tuple(actions)
        resume = desk.url(live.call.id, event="resume", ref=secrets.token_urlsafe(6))
        try:
            await desk.provider.redirect(live.carrier_call_id, resume)
        except BaseException:
            desk.handed_over.pop(live.call.id, None)
            raise

    async def hang_up(self) -> None:
        """The call is over: have the carrier hang up."""
        if self._live.carrier_call_id is not None:
            await self._desk.provider.hang_up(self._live.carrier_call_id)

    async def stream_lost(self, seconds: float) -> None:
        """The stream dropped and did not come back within ``seconds``: the call ends
        (reason error, saying so), and the carrier hangs up."""
        await self.fail(f"the media stream dropped and did not come back within {seconds:g} s")

    async def _save(self) -> None:
        self._desk.save(self._live)
        await self._desk.calls.committed()
