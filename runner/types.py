"""The vocabulary of a call: lifecycle states, end reasons, events in, actions out, records.

The engine takes events and returns actions and knows nothing of HTTP, XML or
SQLite; the dialects turn actions into a carrier's document; the store keeps records.
This module is what they share.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, TypeAlias


class EndReason(enum.StrEnum):
    COMPLETED = "completed"
    HANGUP_USER = "hangup-user"
    HANGUP_BOT = "hangup-bot"
    TIMEOUT = "timeout"
    ERROR = "error"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"


class Lifecycle(enum.StrEnum):
    """Where a call is. It only moves forward; every EndReason is a final state too."""

    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    SPEAKING = "speaking"  # active, the bot has the turn
    LISTENING = "listening"  # active, waiting for the caller (or the agent)


TERMINAL_STATES = frozenset(reason.value for reason in EndReason)


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Speaker(enum.StrEnum):
    BOT = "bot"
    CALLER = "caller"
    AGENT = "agent"


# Events in. Every event has an id (a second delivery of the same id has no effect)
# and the time it happened, in seconds (the runtime's clock: wall or simulated).


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    id: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered(Event):
    #: Answering machine detection: True when a machine answered.
    machine: bool = False
    #: Who answered, as detection said: "human", "machine", "unknown"; None: not asked.
    answered_by: str | None = None
    #: Said before the flow's own greeting (the server's inbound greeting), if any.
    greeting: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InputEventBase(Event):
    """An answer from the caller to a Gather."""

    #: The Gather's turn token; an answer to an older turn is ignored. None: not checked.
    token: str | None = None
    #: When the caller could start answering (the prompt had been spoken), if known.
    listen_started_at: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Digits(InputEventBase):
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Speech(InputEventBase):
    text: str
    confidence: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoInput(InputEventBase):
    pass


# What the agent may do in a consult step besides speaking: the step's tools, checked.


@dataclass(frozen=True, slots=True)
class AgentEndCall:
    """Hang up once the agent's words are said."""


@dataclass(frozen=True, slots=True)
class AgentSendDigits:
    digits: str


@dataclass(frozen=True, slots=True)
class AgentTransfer:
    #: The number (E.164) of the step's transfer_to entry the agent chose.
    to: str


@dataclass(frozen=True, slots=True)
class AgentSet:
    name: str
    value: str | int | float | bool


AgentAction: TypeAlias = AgentEndCall | AgentSendDigits | AgentTransfer | AgentSet


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReply(Event):
    #: None when the agent did not answer within the consult's timeout.
    text: str | None
    #: The agent says the step's conversation is over: the call goes on to the step's next.
    done: bool = False
    #: The call actions it took, in order (only those the step offers).
    actions: tuple[AgentAction, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(Event):
    """The carrier says the call is over (its status callback), or the caller hung up."""

    reason: EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer(Event):
    #: "max_duration" ends the call with reason timeout.
    kind: str


# Control events: an operator or an agent platform steering a live call (the control API).


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlSpeak(Event):
    """Say this now. In a consult step waiting for the agent, it is the agent's reply."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlDigits(Event):
    """Send these digits into the call now."""

    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlEnd(Event):
    """Hang up now (end reason hangup-bot)."""


ControlEvent: TypeAlias = ControlSpeak | ControlDigits | ControlEnd
AnyEvent: TypeAlias = (
    Ringing | Answered | Digits | Speech | NoInput | AgentReply | CallEnded | Timer | ControlEvent
)


# Actions out, in the order the carrier must perform them.


@dataclass(frozen=True, slots=True)
class Speak:
    text: str
    voice: str | None = None
    language: str | None = None
    #: The step that says it (None: the greeting); not part of what is said, so equal
    #: speech compares equal. The media path asks the step whether the caller may barge in.
    step: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Play:
    url: str


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: int


@dataclass(frozen=True, slots=True)
class SendDigits:
    digits: str


@dataclass(frozen=True, slots=True)
class Gather:
    """Wait for the caller. ``token`` names this turn: an answer must carry it."""

    input: tuple[str, ...]
    timeout: float
    token: str
    digits: int | None = None
    finish_on_key: str = "#"
    hints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Consult:
    """Ask the agent; its answer comes back as an AgentReply event."""

    prompt: str
    heard: str
    #: Seconds to wait for the reply: the step's timeout, else the default (10).
    timeout: float
    #: The step's own timeout, which replaces the agent's; None when the step sets none.
    own_timeout: float | None = None
    #: The tools the step offers the agent (end_call, send_dtmf, transfer, set).
    tools: tuple[str, ...] = ()
    #: For the transfer tool: (name, E.164 number) the agent may choose from.
    transfer_to: tuple[tuple[str, str], ...] = ()
    #: For the set tool: the variables the agent may give a value.
    settable: tuple[str, ...] = ()
    #: The step's overrides of the agent's settings.
    model: str | None = None
    system_prompt: str | None = None
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    to: str


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: EndReason


Action: TypeAlias = Speak | Play | Pause | SendDigits | Gather | Consult | Transfer | Hangup


# Records: what the store keeps of every call.


@dataclass(slots=True)
class TranscriptEntry:
    speaker: Speaker
    text: str
    at: float
    step: str | None = None
    #: The recogniser's confidence in the caller's speech, when it gave one.
    confidence: float | None = None


@dataclass(slots=True)
class Turn:
    """One wait for the caller. Latency is ``input_at - started_at``; the listen wait
    is ``input_at - listen_started_at`` (the caller's own reaction time)."""

    step: str
    started_at: float
    listen_started_at: float
    input_at: float | None = None
    input: str | None = None  # dtmf, speech, no_input

    @property
    def latency(self) -> float | None:
        return None if self.input_at is None else self.input_at - self.started_at

    @property
    def listen_wait(self) -> float | None:
        return None if self.input_at is None else self.input_at - self.listen_started_at


@dataclass(slots=True)
class CallRecord:
    id: str
    flow: str
    provider: str
    direction: Direction
    from_number: str | None
    to_number: str | None
    created_at: float
    lifecycle: str = Lifecycle.INITIATED
    step: str | None = None
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: EndReason | None = None
    error: str | None = None
    #: The carrier's id for the call (CallSid, CallUUID, call_sid), once it has one.
    carrier_call_id: str | None = None
    #: Who answered, when the flow asked for answering machine detection: "human",
    #: "machine" or "unknown"; None when it did not ask (or nobody answered).
    answered_by: str | None = None
    transcript: list[TranscriptEntry] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    digits_sent: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    #: The numbers the caller was connected to (a step's transfer, the agent's), in order.
    transfers: list[str] = field(default_factory=list)

    @property
    def said(self) -> list[str]:
        return [entry.text for entry in self.transcript if entry.speaker is not Speaker.CALLER]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the export format and the store's format.

        Written out by hand rather than with ``dataclasses.asdict``, which deep-copies
        every value and would be most of the cost of saving a call.
        """
        return {
            "id": self.id,
            "flow": self.flow,
            "provider": self.provider,
            "direction": self.direction,
            "from_number": self.from_number,
            "to_number": self.to_number,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "step": self.step,
            "ringing_at": self.ringing_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "error": self.error,
            "carrier_call_id": self.carrier_call_id,
            "answered_by": self.answered_by,
            "transcript": [
                {
                    "speaker": entry.speaker,
                    "text": entry.text,
                    "at": entry.at,
                    "step": entry.step,
                    "confidence": entry.confidence,
                }
                for entry in self.transcript
            ],
            "path": list(self.path),
            "digits_sent": list(self.digits_sent),
            "transfers": list(self.transfers),
            "turns": [
                {
                    "step": turn.step,
                    "started_at": turn.started_at,
                    "listen_started_at": turn.listen_started_at,
                    "input_at": turn.input_at,
                    "input": turn.input,
                    "latency": turn.latency,
                    "listen_wait": turn.listen_wait,
                }
                for turn in self.turns
            ],
            "said": self.said,
        }
