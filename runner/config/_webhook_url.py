"""The webhook URL a carrier calls, made of ``public_url`` and ``serve.path``.

``public_url`` is the server's address as carriers see it (https://calls.example.com),
or, as other voice tools have users write it, the webhook URL itself
(https://calls.example.com/voice/webhook). Both mean the same webhook.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from runner.config._model import Config


def public_base(public_url: str, webhook_path: str) -> str:
    """``public_url`` without its trailing slash, and without ``webhook_path`` when its
    path already ends with it: the address that ``webhook_path`` goes after."""
    parts = urlsplit(public_url)
    path = parts.path.rstrip("/")
    suffix = webhook_path.rstrip("/")
    # The suffix starts with '/', so it only ever matches whole path segments.
    if suffix and path.endswith(suffix):
        path = path[: -len(suffix)]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def webhook_url(config: Config) -> str | None:
    """The URL to give the carrier, or None while ``public_url`` is not set."""
    if config.public_url is None:
        return None
    return public_base(config.public_url, config.serve.path) + config.serve.path
