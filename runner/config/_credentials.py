"""Which config keys are credentials: the secret ones, their environment variables, and
what each provider cannot do without."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from runner.config._model import Config, ProviderName
from runner.config._secret import Secret

#: Config keys whose values are held as ``Secret`` and never printed.
SECRET_KEYS: frozenset[str] = frozenset(
    {
        "twilio.auth_token",
        "telnyx.api_key",
        "plivo.auth_token",
        "agent.api_key",
        "audio.tts.api_key",
        "audio.stt.api_key",
        "audio.realtime.api_key",
    }
)

#: The environment variable each credential falls back to when the file leaves it out.
CREDENTIAL_ENV: Mapping[str, str] = MappingProxyType(
    {
        "twilio.account_sid": "TWILIO_ACCOUNT_SID",
        "twilio.auth_token": "TWILIO_AUTH_TOKEN",
        "from_number": "TWILIO_FROM_NUMBER",
        "telnyx.api_key": "TELNYX_API_KEY",
        "telnyx.connection_id": "TELNYX_CONNECTION_ID",
        "telnyx.account_sid": "TELNYX_ACCOUNT_SID",
        "telnyx.public_key": "TELNYX_PUBLIC_KEY",
        "plivo.auth_id": "PLIVO_AUTH_ID",
        "plivo.auth_token": "PLIVO_AUTH_TOKEN",
        "agent.api_key": "CALLFLOW_AGENT_API_KEY",
        "audio.tts.api_key": "CALLFLOW_TTS_API_KEY",
        "audio.stt.api_key": "CALLFLOW_STT_API_KEY",
        "audio.realtime.api_key": "CALLFLOW_REALTIME_API_KEY",
    }
)

_NEEDED: Mapping[ProviderName, tuple[str, ...]] = {
    ProviderName.TWILIO: ("twilio.account_sid", "twilio.auth_token", "from_number"),
    ProviderName.TELNYX: (
        "telnyx.api_key",
        "telnyx.connection_id",
        "telnyx.account_sid",
        "telnyx.public_key",
        "from_number",
    ),
    ProviderName.PLIVO: ("plivo.auth_id", "plivo.auth_token", "from_number"),
    ProviderName.MOCK: (),
}


def missing_credentials(config: Config) -> list[str]:
    """The config keys the chosen provider still needs, in the order of the schema.

    Telnyx's public key only verifies webhook signatures, so it is not needed while
    verification is switched off.
    """
    skip_signatures = config.webhook_security.skip_signature_verification
    return [
        key
        for key in _NEEDED[config.provider]
        if _value(config, key) is None and not (key == "telnyx.public_key" and skip_signatures)
    ]


def _value(config: Config, key: str) -> str | Secret | None:
    found: object = config
    for part in key.split("."):
        found = getattr(found, part)
    if found is not None and not isinstance(found, str | Secret):
        raise RuntimeError(f"config key '{key}' is {type(found).__name__}, not text or a secret")
    return found
