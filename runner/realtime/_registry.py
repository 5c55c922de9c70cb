"""Realtime providers by name: the ones this package brings, and any registered later.

A name the config gives that no provider has is not fatal to the server: it says so
(``UnknownRealtimeProvider``) and the server sends realtime calls down the gather path.
"""

from __future__ import annotations

from collections.abc import Callable

from runner.realtime import _openai
from runner.realtime._interfaces import RealtimeError, RealtimeProvider, UnknownRealtimeProvider
from runner.realtime._openai import OpenAIRealtime
from runner.realtime._settings import RealtimeSettings

#: Makes a provider from the settings; raises RealtimeError when they do not suffice.
ProviderFactory = Callable[[RealtimeSettings], RealtimeProvider]


def _openai_provider(settings: RealtimeSettings) -> RealtimeProvider:
    if not settings.api_key:
        raise RealtimeError("the openai realtime provider needs an API key (audio.realtime.api_key)")
    return OpenAIRealtime(
        api_key=settings.api_key,
        base_url=settings.base_url or _openai.DEFAULT_BASE_URL,
        model=settings.model or _openai.DEFAULT_MODEL,
        voice=settings.voice or _openai.DEFAULT_VOICE,
    )


_PROVIDERS: dict[str, ProviderFactory] = {"openai": _openai_provider}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``name`` a provider the config may choose (a second registration replaces the first)."""
    _PROVIDERS[name] = factory


def provider_names() -> tuple[str, ...]:
    return tuple(sorted(_PROVIDERS))


def build_realtime_provider(settings: RealtimeSettings) -> RealtimeProvider:
    """The provider ``settings`` name. Raises UnknownRealtimeProvider for a name no
    provider has, RealtimeError when the settings do not suffice (no key)."""
    factory = _PROVIDERS.get(settings.provider)
    if factory is None:
        raise UnknownRealtimeProvider(settings.provider, provider_names())
    return factory(settings)
