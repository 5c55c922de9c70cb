"""The effective config as plain data, fit to print: every secret masked."""

from __future__ import annotations

from pathlib import Path

from flows import Data
from runner.config._model import AgentSettings, AudioSettings, Config
from runner.config._secret import MASK, Secret


def redacted(config: Config) -> dict[str, Data]:
    """Every config key in the schema's order; a secret is ``"***"`` when set and None
    when not, so the output tells whether a credential is there but never what it is."""
    twilio, telnyx, plivo = config.twilio, config.telnyx, config.plivo
    serve, security, inbound = config.serve, config.webhook_security, config.inbound
    return {
        "provider": config.provider.value,
        "from_number": config.from_number,
        "twilio": {
            "account_sid": twilio.account_sid,
            "auth_token": _mask(twilio.auth_token),
            "api_base": twilio.api_base,
        },
        "telnyx": {
            "api_key": _mask(telnyx.api_key),
            "connection_id": telnyx.connection_id,
            "account_sid": telnyx.account_sid,
            "public_key": telnyx.public_key,
            "api_base": telnyx.api_base,
        },
        "plivo": {
            "auth_id": plivo.auth_id,
            "auth_token": _mask(plivo.auth_token),
            "api_base": plivo.api_base,
        },
        "serve": {"bind": serve.bind, "port": serve.port, "path": serve.path},
        "public_url": config.public_url,
        "webhook_security": {
            "allowed_hosts": list(security.allowed_hosts),
            "trusted_proxy_ips": list(security.trusted_proxy_ips),
            "trust_forwarding_headers": security.trust_forwarding_headers,
            "skip_signature_verification": security.skip_signature_verification,
            "max_in_flight_per_address": security.max_in_flight_per_address,
            "replay_cache_mb": security.replay_cache_mb,
        },
        "inbound": {
            "policy": inbound.policy.value,
            "allow_from": list(inbound.allow_from),
            "greeting": inbound.greeting,
            "flow": _text(inbound.flow),
            "agent": inbound.agent,
        },
        "flows": [str(path) for path in config.flows],
        "max_duration_seconds": config.max_duration_seconds,
        "stale_call_reaper_seconds": config.stale_call_reaper_seconds,
        "max_concurrent_calls": config.max_concurrent_calls,
        "timezone": config.timezone,
        "data_dir": _text(config.data_dir),
        "audio": _audio(config.audio),
        "agent": _agent(config.agent),
    }


def _audio(audio: AudioSettings) -> dict[str, Data]:
    tts, stt, realtime = audio.tts, audio.stt, audio.realtime
    return {
        "path": audio.path,
        "tts": {
            "engine": tts.engine,
            "voice": tts.voice,
            "language": tts.language,
            "base_url": tts.base_url,
            "model": tts.model,
            "api_key": _mask(audio.tts_api_key),
            "timeout": tts.timeout,
        },
        "stt": {
            "engine": stt.engine,
            "model_dir": stt.model_dir,
            "language": stt.language,
            "base_url": stt.base_url,
            "model": stt.model,
            "api_key": _mask(audio.stt_api_key),
            "silence_ms": stt.silence_ms,
        },
        "realtime": {
            "provider": realtime.provider,
            "base_url": realtime.base_url,
            "model": realtime.model,
            "voice": realtime.voice,
            "api_key": _mask(audio.realtime_api_key),
        },
    }


def _agent(agent: AgentSettings | None) -> dict[str, Data] | None:
    if agent is None:
        return None
    return {
        "base_url": agent.base_url,
        "model": agent.model,
        "api_key": _mask(agent.api_key),
        "system_prompt": agent.system_prompt,
        "timeout": agent.timeout,
        "max_tokens": agent.max_tokens,
        "temperature": agent.temperature,
        "fallback": agent.fallback,
    }


def _mask(secret: Secret | None) -> str | None:
    return None if secret is None else MASK


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)
