"""The settings of realtime calls: the config's ``audio.realtime`` section."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The provider a config that names none gets.
DEFAULT_PROVIDER = "openai"


@dataclass(frozen=True)
class RealtimeSettings:
    """Which speech-to-speech provider talks with the callers of realtime flows.

    ``base_url``, ``model`` and ``voice`` left None take the provider's defaults;
    ``api_key`` is never shown in a repr."""

    provider: str = DEFAULT_PROVIDER
    base_url: str | None = None
    model: str | None = None
    voice: str | None = None
    api_key: str | None = field(default=None, repr=False)
