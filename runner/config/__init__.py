"""The config file (``callflow.yaml``): carrier, credentials, webhook server, inbound calls, agent.

``load_config`` reads it, with ``${NAME}`` taken from the environment and credentials
falling back to the carriers' usual environment variables; ``setup_checks`` says whether
the result is ready to run real calls. Credentials are held as ``Secret`` and never printed.
"""

from __future__ import annotations

from runner.config._credentials import CREDENTIAL_ENV, SECRET_KEYS, missing_credentials
from runner.config._errors import ConfigError, ConfigFileError, ConfigInvalidError
from runner.config._exposure import unreachable_reason
from runner.config._load import CONFIG_ENV, DEFAULT_CONFIG_FILE, find_config_file, load_config
from runner.config._model import (
    DEFAULT_AGENT_FILLER,
    DEFAULT_AGENT_HOLD_SECONDS,
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
from runner.config._readiness import configured_flows, public_url_problem, setup_checks, setup_warnings
from runner.config._redact import redacted
from runner.config._secret import Secret
from runner.config._setup_results import SetupCheck, SetupWarning
from runner.config._validate import CONFIG_SCHEMA
from runner.config._webhook_url import public_base, webhook_url

__all__ = [
    "CONFIG_ENV",
    "CONFIG_SCHEMA",
    "CREDENTIAL_ENV",
    "DEFAULT_AGENT_FILLER",
    "DEFAULT_AGENT_HOLD_SECONDS",
    "DEFAULT_CONFIG_FILE",
    "SECRET_KEYS",
    "AgentSettings",
    "AudioSettings",
    "Config",
    "ConfigError",
    "ConfigFileError",
    "ConfigInvalidError",
    "InboundPolicy",
    "InboundSettings",
    "PlivoSettings",
    "ProviderName",
    "Secret",
    "ServeSettings",
    "SetupCheck",
    "SetupWarning",
    "TelnyxSettings",
    "TwilioSettings",
    "WebhookSecurity",
    "configured_flows",
    "find_config_file",
    "load_config",
    "missing_credentials",
    "public_base",
    "public_url_problem",
    "redacted",
    "setup_checks",
    "setup_warnings",
    "unreachable_reason",
    "webhook_url",
]
