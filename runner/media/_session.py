"""One call on the streaming path: the caller's audio in, the bot's speech out, the
flow's turns in between.

The session performs the engine's actions on the stream: speech is synthesized and
played (``Playback``), digits are played as their tones, a turn listens to the
recognizer and to the keypad, a consult asks the agent. What the caller says while the
bot speaks stops the bot (barge-in) where the step allows it; the greeting is never
interrupted. A transfer is handed back to the carrier, which ends the stream; at the
end of the call the carrier is told to hang up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from runner.media._playback import Playback
from runner.media._protocols import TWILIO_STREAMS, StreamProtocol
from runner.media._tones import dtmf_audio
from runner.service import StreamedCall
from runner.speech import Heard, RecognizerSession, SpeechStarted, Synthesizer
from runner.types import (
    Action,
    AnyEvent,
    Consult,
    Digits,
    Gather,
    Hangup,
    NoInput,
    Pause,
    Play,
    SendDigits,
    Speak,
    Speech,
    Transfer,
)

logger = logging.getLogger("callflow.media")

#: Seconds after a key before the keys pressed so far are the caller's answer.
INTER_DIGIT_SECONDS = 2.0
#: The longest a turn's timeout waits for words the caller is still saying to be heard:
#: a recognizer that hears only noise in an utterance says nothing at its end.
UTTERANCE_SECONDS = 10.0


@dataclass
class _Listening:
    """A turn waiting for the caller: its gather, and the keys pressed so far."""

    gather: Gather
    keys: str = ""


class MediaSession:
    """The media path of one call; ``run`` it once its stream has started."""

    def __init__(
        self,
        call: StreamedCall,
        synthesizer: Synthesizer,
        recognizer: RecognizerSession | None,
        send: Callable[[str], Awaitable[None]],
        stream_sid: str,
        protocol: StreamProtocol = TWILIO_STREAMS,
    ) -> None:
        self.call = call
        self.synthesizer = synthesizer
        self.recognizer = recognizer
        self.playback = Playback(send, stream_sid, protocol)
        self._listening: _Listening | None = None
        self._timer: asyncio.Task[None] | None = None
        self._work: asyncio.Queue[list[Action] | AnyEvent] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        #: Clear from the moment the caller starts speaking until their words are heard.
        self._utterance_heard = asyncio.Event()
        self._utterance_heard.set()
        #: Whether the caller started speaking over what they may not interrupt.
        self._over_unbargeable = False
        #: Set once the call is over on this stream (ended, or handed back to the carrier).
        self.finished = asyncio.Event()

    # -- from the stream ----------------------------------------------------------------

    def heard_audio(self, audio: bytes) -> None:
        if self.recognizer is not None:
            self.recognizer.feed(audio)

    def pressed(self, digit: str) -> None:
        listening = self._listening
        if listening is None or "dtmf" not in listening.gather.input:
            return
        gather = listening.gather
        if digit == gather.finish_on_key and gather.finish_on_key:
            self._answer_keys()
            return
        listening.keys += digit
        if gather.digits is not None and len(listening.keys) >= gather.digits:
            self._answer_keys()
        else:
            self._restart_timer(INTER_DIGIT_SECONDS, self._answer_keys)

    def mark_played(self, name: str) -> None:
        self.playback.heard(name)

    # -- from outside (the control API) -----------------------------------------------------

    def perform(self, actions: list[Action]) -> None:
        """Actions made outside the stream: performed in turn with the session's own."""
        self._work.put_nowait(actions)

    # -- the session ----------------------------------------------------------------------

    async def run(self) -> None:
        """Hear the caller, say the answer's actions, and go on until the call is over."""
        self._spawn(self.playback.run())
        if self.recognizer is not None:
            # Audio fed meanwhile is queued by the recognizer: the greeting waits for it.
            await self.recognizer.ready()
            self._spawn(self._hear(self.recognizer))
        self.call.attach(self)
        self._work.put_nowait(self.call.take_pending())
        try:
            while not self.finished.is_set():
                item = await self._work.get()
                actions = await self.call.apply(item) if not isinstance(item, list) else item
                await self._carry_out(actions)
        finally:
            self.call.attach(None)

    async def close(self) -> None:
        """The stream is gone for good: stop playing, listening and thinking."""
        self.finished.set()
        self._cancel_timer()
        for task in list(self._tasks):
            task.cancel()
        await self.playback.close()
        if self.recognizer is not None:
            await self.recognizer.aclose()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- carrying out the engine's actions ------------------------------------------------

    async def _carry_out(self, actions: list[Action]) -> None:
        for index, action in enumerate(actions):
            if isinstance(action, Speak):
                self._say(action)
            elif isinstance(action, Pause):
                self.playback.say(bytes([0xFF]) * 8000 * action.seconds, interruptible=True)
            elif isinstance(action, SendDigits):
                self.playback.say(dtmf_audio(action.digits), interruptible=False)
            elif isinstance(action, Play):
                logger.warning(
                    "call %s: play %s is skipped on the streaming path", self.call.call_id, action.url
                )
            elif isinstance(action, Gather):
                self._listen(action)
            elif isinstance(action, Consult):
                self._cancel_timer()
                answer = await self.call.consult(action, self._say_filler)
                await self._carry_out(answer)
            elif isinstance(action, Transfer):
                await self.playback.drained()
                await self.call.hand_over(actions[index:])
                self.finished.set()
                return
            elif isinstance(action, Hangup):
                await self.playback.drained()
                await self.call.hang_up()
                self.finished.set()
                return

    def _say(self, speak: Speak) -> None:
        step = self.call.step(speak.step)
        # The greeting (no step) is never interrupted; a step may say it is not either.
        interruptible = step is not None and step.barge_in
        # The flow's voice names a carrier's voice (alice, Polly.Joanna), which this server's
        # synthesizer does not have: streamed calls speak in the config's audio.tts voice.
        audio = self.synthesizer.synthesize(speak.text)
        self.playback.say(audio, interruptible=interruptible)

    def _say_filler(self, text: str) -> None:
        self.playback.say(self.synthesizer.synthesize(text), interruptible=True)

    def _listen(self, gather: Gather) -> None:
        """A turn opens: the caller is heard now; silence counts from the end of the prompt."""
        self._listening = _Listening(gather)
        token = gather.token

        async def time_out() -> None:
            await self.playback.drained()
            await asyncio.sleep(gather.timeout)
            # Words being said now may still answer (a barge-in's, said as the prompt stopped).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._utterance_heard.wait(), UTTERANCE_SECONDS)
            self._answer(NoInput(id=self.call.event_id(), at=self.call.clock(), token=token))

        self._replace_timer(asyncio.ensure_future(time_out()))

    # -- the caller's answers -------------------------------------------------------------

    async def _hear(self, recognizer: RecognizerSession) -> None:
        async for event in recognizer.events():
            if isinstance(event, SpeechStarted):
                self._utterance_heard.clear()
                # Words begun over what may not be interrupted are no answer, even when
                # they are heard after it ended.
                self._over_unbargeable = self.playback.speaking and not self.playback.interruptible
                if self.playback.interruptible:
                    stopped = await self.playback.interrupt()
                    logger.info(
                        "call %s: the caller barged in; %d said things skipped", self.call.call_id, stopped
                    )
            elif isinstance(event, Heard) and event.final:
                self._utterance_heard.set()
                over_unbargeable, self._over_unbargeable = self._over_unbargeable, False
                if event.text.strip() and not over_unbargeable:
                    self._heard(event)

    def _heard(self, heard: Heard) -> None:
        listening = self._listening
        if listening is None or "speech" not in listening.gather.input:
            return  # not asked: the bot is not listening (a consult thinks, the call ends)
        if self.playback.speaking and not self.playback.interruptible:
            return  # said over what the caller may not interrupt: not an answer
        self._answer(
            Speech(
                id=self.call.event_id(),
                at=self.call.clock(),
                text=heard.text.strip(),
                confidence=heard.confidence,
                token=listening.gather.token,
            )
        )

    def _answer_keys(self) -> None:
        listening = self._listening
        if listening is None or not listening.keys:
            return
        token = listening.gather.token
        self._answer(
            Digits(id=self.call.event_id(), at=self.call.clock(), digits=listening.keys, token=token)
        )

    def _answer(self, event: Speech | Digits | NoInput) -> None:
        """The turn's answer: the turn closes, and the engine is told."""
        if self._listening is None or event.token != self._listening.gather.token:
            return
        self._listening = None
        self._cancel_timer(keep=asyncio.current_task())
        self._work.put_nowait(event)

    # -- the turn's timer -----------------------------------------------------------------

    def _restart_timer(self, seconds: float, then: Callable[[], None]) -> None:
        async def later() -> None:
            await asyncio.sleep(seconds)
            then()

        self._replace_timer(asyncio.ensure_future(later()))

    def _replace_timer(self, task: asyncio.Task[None]) -> None:
        self._cancel_timer()
        self._timer = task

    def _cancel_timer(self, keep: asyncio.Task[object] | None = None) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not keep:
            timer.cancel()
