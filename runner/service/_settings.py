"""What the call service needs to know from the config, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.config import DEFAULT_AGENT_FILLER, DEFAULT_AGENT_HOLD_SECONDS


@dataclass(frozen=True)
class InboundSettings:
    """How inbound calls are answered: the config's ``inbound`` section."""

    #: The config's InboundPolicy: "disabled" (refuse every call), "allowlist" or "open".
    policy: str = "disabled"
    allow_from: tuple[str, ...] = ()
    #: The name of the flow that admitted calls run.
    flow: str | None = None
    greeting: str | None = None

    def admits(self, caller: str | None) -> bool:
        """Whether a call from ``caller`` may run.

        Caller IDs are compared by their digits only, exactly; an empty or anonymous
        caller never matches. Caller ID is easy to fake: this is a screen, not a lock.
        """
        if self.policy == "open":
            return True
        if self.policy != "allowlist":
            return False
        digits = _digits(caller or "")
        return bool(digits) and digits in {_digits(number) for number in self.allow_from}


def _digits(number: str) -> str:
    return "".join(char for char in number if char.isdigit())


@dataclass(frozen=True)
class ServiceSettings:
    #: The URL the carrier reaches the webhook at, e.g. https://calls.example.com/voice/webhook.
    webhook_url: str
    from_number: str | None = None
    max_duration_seconds: int = 300
    stale_call_reaper_seconds: int = 0
    max_concurrent_calls: int = 100
    inbound: InboundSettings = field(default_factory=InboundSettings)
    #: The longest a consult step waits for the agent's reply, over one webhook and the
    #: redirects that follow it.
    max_agent_wait_seconds: float = 12.0
    #: How long one webhook is held for the agent's reply: carriers give up on a webhook
    #: after 15 s, so past this the caller hears the filler line and the carrier is sent
    #: back (a redirect) to wait again.
    agent_hold_seconds: float = DEFAULT_AGENT_HOLD_SECONDS
    #: Said once per wait when the agent's reply takes longer than agent_hold_seconds
    #: ("" says nothing).
    agent_filler: str = DEFAULT_AGENT_FILLER
    #: How calls whose flow does not say hear and speak: "gather" (the carrier does) or
    #: "streaming" (the call's audio comes to the media socket).
    audio_path: str = "gather"
    #: Whether a realtime provider is ready: without one, realtime flows take the gather path.
    realtime: bool = False
    #: The stale-call reaper looks this often.
    reaper_interval_seconds: float = 30.0
