"""The effective configuration: what the file said, the environment filled in, and defaults."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path

from runner.config._secret import Secret
from runner.realtime import RealtimeSettings
from runner.speech import SttSettings, TtsSettings


class ProviderName(enum.StrEnum):
    TWILIO = "twilio"
    TELNYX = "telnyx"
    PLIVO = "plivo"
    #: Runs calls offline, in-process; needs no credentials and no public URL.
    MOCK = "mock"


class InboundPolicy(enum.StrEnum):
    DISABLED = "disabled"
    #: Answer only the numbers in ``allow_from``. Caller ID can be spoofed.
    ALLOWLIST = "allowlist"
    OPEN = "open"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str | None = None
    auth_token: Secret | None = None
    #: None: the carrier's public API. Another base serves a regional endpoint or a test.
    api_base: str | None = None


@dataclass(frozen=True)
class TelnyxSettings:
    api_key: Secret | None = None
    connection_id: str | None = None
    #: Names the account in the TeXML call-update endpoint.
    account_sid: str | None = None
    #: Verifies webhook signatures; public by nature, so not a Secret.
    public_key: str | None = None
    api_base: str | None = None


@dataclass(frozen=True)
class PlivoSettings:
    auth_id: str | None = None
    auth_token: Secret | None = None
    api_base: str | None = None


@dataclass(frozen=True)
class ServeSettings:
    bind: str = "127.0.0.1"
    port: int = 3334
    path: str = "/voice/webhook"


@dataclass(frozen=True)
class WebhookSecurity:
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxy_ips: tuple[str, ...] = ()
    trust_forwarding_headers: bool = False
    skip_signature_verification: bool = False
    max_in_flight_per_address: int = 8
    replay_cache_mb: int = 1024


#: What an inbound caller hears first when the agent answers and the config names no greeting:
#: without one, the caller would wait in silence for the agent to speak.
DEFAULT_INBOUND_AGENT_GREETING = "Hello, how can I help you?"


@dataclass(frozen=True)
class InboundSettings:
    policy: InboundPolicy = InboundPolicy.DISABLED
    allow_from: tuple[str, ...] = ()
    greeting: str | None = None
    flow: Path | None = None
    #: True: the agent answers admitted calls, with the built-in inbound-agent flow (never with ``flow``).
    agent: bool = False


#: What the agent is told when the config gives no system_prompt.
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant speaking with a caller on the phone. Answer briefly, in one or two "
    "plain spoken sentences, in the caller's language."
)
#: Spoken when the agent times out or fails, unless the config says otherwise.
DEFAULT_AGENT_FALLBACK = "Sorry, I can't answer that right now."
#: How long one carrier request is held for the agent's reply before the filler line
#: and a redirect answer it (carriers give up on a webhook after 15 s).
DEFAULT_AGENT_HOLD_SECONDS = 4.0
#: Said while the agent thinks, once its reply takes longer than the hold.
DEFAULT_AGENT_FILLER = "One moment, please."


@dataclass(frozen=True)
class AgentSettings:
    """An OpenAI-compatible chat-completions endpoint that answers consult steps."""

    base_url: str
    model: str
    api_key: Secret | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    #: Seconds for a whole reply, the connection included.
    timeout: float = 8.0
    max_tokens: int = 200
    temperature: float = 0.3
    fallback: str = DEFAULT_AGENT_FALLBACK
    #: Seconds a carrier's request is held for the reply (0 < hold <= 10).
    hold_seconds: float = DEFAULT_AGENT_HOLD_SECONDS
    filler: str = DEFAULT_AGENT_FILLER


@dataclass(frozen=True)
class AudioSettings:
    """How calls hear and speak: the config's ``audio`` section. The hosted engines' keys
    are held apart, as secrets, and given to the engines only when they are made."""

    path: str = "gather"
    tts: TtsSettings = field(default_factory=TtsSettings)
    tts_api_key: Secret | None = None
    stt: SttSettings = field(default_factory=SttSettings)
    stt_api_key: Secret | None = None
    #: The speech-to-speech provider of realtime flows.
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)
    realtime_api_key: Secret | None = None

    def synthesizer_settings(self) -> TtsSettings:
        key = self.tts_api_key
        return replace(self.tts, api_key=key.reveal() if key is not None else None)

    def recognizer_settings(self) -> SttSettings:
        key = self.stt_api_key
        return replace(self.stt, api_key=key.reveal() if key is not None else None)

    def realtime_settings(self) -> RealtimeSettings:
        key = self.realtime_api_key
        return replace(self.realtime, api_key=key.reveal() if key is not None else None)


@dataclass(frozen=True)
class Config:
    """Paths are absolute: resolved against the config file's folder (or the current
    folder when there is no file). ``source`` is the file read, None for none."""

    provider: ProviderName = ProviderName.MOCK
    from_number: str | None = None
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    telnyx: TelnyxSettings = field(default_factory=TelnyxSettings)
    plivo: PlivoSettings = field(default_factory=PlivoSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    public_url: str | None = None
    webhook_security: WebhookSecurity = field(default_factory=WebhookSecurity)
    inbound: InboundSettings = field(default_factory=InboundSettings)
    flows: tuple[Path, ...] = ()
    max_duration_seconds: int = 300
    stale_call_reaper_seconds: int = 0
    max_concurrent_calls: int = 100
    #: The zone of campaign recipients whose zone neither a timezone column nor their
    #: number tells (an IANA name), for the calling window.
    timezone: str = "UTC"
    #: None: the store's own rule (--data-dir, $CALLFLOW_DATA_DIR, ./.callflow).
    data_dir: Path | None = None
    #: None: no agent; consult steps wait to be steered from outside.
    agent: AgentSettings | None = None
    audio: AudioSettings = field(default_factory=AudioSettings)
    source: Path | None = None
