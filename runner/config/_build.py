"""Turn validated config data into a ``Config``: defaults, environment fallbacks, paths."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn, cast

from flows import Data
from runner.config._credentials import CREDENTIAL_ENV
from runner.config._model import (
    DEFAULT_INBOUND_AGENT_GREETING,
    AgentSettings,
    AudioSettings,
    Config,
    InboundPolicy,
    InboundSettings,
    PlivoSettings,
    ProviderName,
    ServeSettings,
    TelnyxSettings,
    TwilioSettings,
    WebhookSecurity,
)
from runner.config._secret import Secret
from runner.realtime import DEFAULT_PROVIDER, RealtimeSettings
from runner.speech import SttEngine, SttSettings, TtsEngine, TtsSettings

_DEFAULT_SERVE = ServeSettings()


def build_config(
    data: Mapping[str, Data], base: Path, source: Path | None, environ: Mapping[str, str]
) -> Config:
    """``data`` has passed ``validate``; relative paths are taken from ``base``."""
    values = _Values(data, environ)
    return Config(
        provider=ProviderName(values.text("provider") or ProviderName.MOCK),
        from_number=values.credential("from_number"),
        twilio=TwilioSettings(
            account_sid=values.credential("twilio.account_sid"),
            auth_token=_secret(values.credential("twilio.auth_token")),
            api_base=values.text("twilio.api_base"),
        ),
        telnyx=TelnyxSettings(
            api_key=_secret(values.credential("telnyx.api_key")),
            connection_id=values.credential("telnyx.connection_id"),
            account_sid=values.credential("telnyx.account_sid"),
            public_key=values.credential("telnyx.public_key"),
            api_base=values.text("telnyx.api_base"),
        ),
        plivo=PlivoSettings(
            auth_id=values.credential("plivo.auth_id"),
            auth_token=_secret(values.credential("plivo.auth_token")),
            api_base=values.text("plivo.api_base"),
        ),
        serve=ServeSettings(
            bind=values.text("serve.bind") or _DEFAULT_SERVE.bind,
            port=values.integer("serve.port", _DEFAULT_SERVE.port),
            path=values.text("serve.path") or _DEFAULT_SERVE.path,
        ),
        public_url=values.text("public_url"),
        webhook_security=WebhookSecurity(
            allowed_hosts=values.texts("webhook_security.allowed_hosts"),
            trusted_proxy_ips=values.texts("webhook_security.trusted_proxy_ips"),
            trust_forwarding_headers=values.flag("webhook_security.trust_forwarding_headers"),
            skip_signature_verification=values.flag("webhook_security.skip_signature_verification"),
            max_in_flight_per_address=values.integer("webhook_security.max_in_flight_per_address", 8),
            replay_cache_mb=values.integer("webhook_security.replay_cache_mb", 1024),
        ),
        inbound=_inbound(values, base),
        flows=tuple(_resolve(base, text) for text in values.texts("flows")),
        max_duration_seconds=values.integer("max_duration_seconds", 300),
        stale_call_reaper_seconds=values.integer("stale_call_reaper_seconds", 0),
        max_concurrent_calls=values.integer("max_concurrent_calls", 100),
        timezone=values.text("timezone") or "UTC",
        data_dir=_path(base, values.text("data_dir")),
        agent=_agent(values),
        audio=_audio(values, base),
        source=source,
    )


def _inbound(values: _Values, base: Path) -> InboundSettings:
    agent = values.flag("inbound.agent")
    greeting = values.text("inbound.greeting")
    return InboundSettings(
        policy=InboundPolicy(values.text("inbound.policy") or InboundPolicy.DISABLED),
        allow_from=values.texts("inbound.allow_from"),
        greeting=DEFAULT_INBOUND_AGENT_GREETING if agent and greeting is None else greeting,
        flow=_path(base, values.text("inbound.flow")),
        agent=agent,
    )


def _audio(values: _Values, base: Path) -> AudioSettings:
    """The ``audio`` section; the schema vouched for the engines' names."""
    model_dir = _path(base, values.text("audio.stt.model_dir"))
    tts, stt = TtsSettings(), SttSettings()
    return AudioSettings(
        path=values.text("audio.path") or "gather",
        tts=TtsSettings(
            engine=cast(TtsEngine, values.text("audio.tts.engine") or tts.engine),
            voice=values.text("audio.tts.voice"),
            language=values.text("audio.tts.language"),
            base_url=values.text("audio.tts.base_url"),
            model=values.text("audio.tts.model"),
            timeout=values.number("audio.tts.timeout", tts.timeout),
        ),
        tts_api_key=_secret(values.credential("audio.tts.api_key")),
        stt=SttSettings(
            engine=cast(SttEngine, values.text("audio.stt.engine") or stt.engine),
            model_dir=str(model_dir) if model_dir is not None else None,
            language=values.text("audio.stt.language") or stt.language,
            base_url=values.text("audio.stt.base_url"),
            model=values.text("audio.stt.model"),
            silence_ms=values.integer("audio.stt.silence_ms", stt.silence_ms),
        ),
        stt_api_key=_secret(values.credential("audio.stt.api_key")),
        realtime=RealtimeSettings(
            # Any name: one no provider has is logged by the server, and its calls take the gather path.
            provider=values.text("audio.realtime.provider") or DEFAULT_PROVIDER,
            base_url=values.text("audio.realtime.base_url"),
            model=values.text("audio.realtime.model"),
            voice=values.text("audio.realtime.voice"),
        ),
        realtime_api_key=_secret(values.credential("audio.realtime.api_key")),
    )


_DEFAULT_AGENT = AgentSettings(base_url="", model="")


def _agent(values: _Values) -> AgentSettings | None:
    """None without an ``agent`` section; the schema makes base_url and model required in one."""
    if values.get("agent") is None:
        return None
    base_url, model = values.text("agent.base_url"), values.text("agent.model")
    if base_url is None or model is None:
        _not_vouched("agent", values.get("agent"), "a mapping with base_url and model")
    fallback, filler = values.text("agent.fallback"), values.text("agent.filler")
    return AgentSettings(
        base_url=base_url,
        model=model,
        api_key=_secret(values.credential("agent.api_key")),
        system_prompt=values.text("agent.system_prompt") or _DEFAULT_AGENT.system_prompt,
        timeout=values.number("agent.timeout", _DEFAULT_AGENT.timeout),
        max_tokens=values.integer("agent.max_tokens", _DEFAULT_AGENT.max_tokens),
        temperature=values.number("agent.temperature", _DEFAULT_AGENT.temperature),
        # An empty fallback is a choice: say nothing when the agent fails.
        fallback=_DEFAULT_AGENT.fallback if fallback is None else fallback,
        hold_seconds=values.number("agent.hold_seconds", _DEFAULT_AGENT.hold_seconds),
        # Empty, like the fallback, says nothing while the agent thinks.
        filler=_DEFAULT_AGENT.filler if filler is None else filler,
    )


class _Values:
    """Typed reads of dotted keys; the schema has already vouched for every type."""

    def __init__(self, data: Mapping[str, Data], environ: Mapping[str, str]) -> None:
        self._data = data
        self._environ = environ

    def get(self, key: str) -> Data:
        node: Data | Mapping[str, Data] = self._data
        for part in key.split("."):
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        if isinstance(node, Mapping) and not isinstance(node, dict):
            _not_vouched(key, node, "a dict")
        return node

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if value is not None and not isinstance(value, str):
            _not_vouched(key, value, "text")
        return value

    def credential(self, key: str) -> str | None:
        """The file's value, else the environment's; an empty variable counts as unset,
        as ``export TWILIO_AUTH_TOKEN=`` is how a shell often clears one."""
        value = self.text(key)
        if value is None:
            value = self._environ.get(CREDENTIAL_ENV[key]) or None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            _not_vouched(key, value, "a list of text")
        return tuple(str(item) for item in value)

    def integer(self, key: str, default: int) -> int:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            _not_vouched(key, value, "an integer")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, int | float) or isinstance(value, bool):
            _not_vouched(key, value, "a number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if value is not None and not isinstance(value, bool):
            _not_vouched(key, value, "true or false")
        return bool(value)


def _not_vouched(key: str, value: object, expected: str) -> NoReturn:
    raise RuntimeError(
        f"config key '{key}' holds {type(value).__name__}, not {expected}: validation should have refused it"
    )


def _secret(value: str | None) -> Secret | None:
    return None if value is None else Secret(value)


def _path(base: Path, text: str | None) -> Path | None:
    return None if text is None else _resolve(base, text)


def _resolve(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path
