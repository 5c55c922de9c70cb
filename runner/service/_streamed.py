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
from runner.service._consults import settle_consults
from runner.service._desk import CallDesk
from runner.service._live_calls import ActionSink, LiveCall
from runner.types import Action, AnyEvent, CallEnded, Consult, EndReason

#: The URL suffix of the media socket, after the webhook's path.
STREAM_SUFFIX = "/stream"


def stream_url(webhook_url: str) -> str:
    """The media socket's URL: the webhook's, over WebSocket, with ``/stream`` added."""
    scheme, rest = webhook_url.split("://", 1)
    path = rest.split("?", 1)[0].rstrip("/")
    return f"{'wss' if scheme == 'https' else 'ws'}://{path}{STREAM_SUFFIX}"


def uses_stream(desk: CallDesk, live: LiveCall) -> bool:
    """Whether the call's audio goes through a media stream (the flow's audio, else the config's)."""
    return (live.engine.flow.audio or desk.settings.audio_path) == "streaming"


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

    async def hand_over(self, actions: list[Action]) -> None:
        """Have the carrier perform ``actions`` itself (a transfer): the stream ends."""
        live, desk = self._live, self._desk
        live.pending = tuple(actions)
        if live.carrier_call_id is not None:
            resume = desk.url(live.call.id, event="resume", ref=secrets.token_urlsafe(6))
            await desk.provider.redirect(live.carrier_call_id, resume)

    async def hang_up(self) -> None:
        """The call is over: have the carrier hang up."""
        if self._live.carrier_call_id is not None:
            await self._desk.provider.hang_up(self._live.carrier_call_id)

    async def stream_lost(self, seconds: float) -> None:
        """The stream dropped and did not come back within ``seconds``: the call ends
        (reason error, saying so), and the carrier hangs up."""
        call = self._live.call
        if not call.ended:
            call.record.error = f"the media stream dropped and did not come back within {seconds:g} s"
            await self.apply(CallEnded(id=self.event_id(), at=self.clock(), reason=EndReason.ERROR))
        await self.hang_up()

    async def _save(self) -> None:
        self._desk.save(self._live)
        await self._desk.calls.committed()
