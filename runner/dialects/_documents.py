"""The documents that are not a list of actions: refuse a call, dial ahead, open a media stream."""

from __future__ import annotations

import re
from collections.abc import Mapping

from runner.dialects._errors import DialectLimitError
from runner.dialects._limits import check_digits, fit_digits
from runner.dialects._tables import Dialect, dialect
from runner.dialects._verbs import hangup, redirect, send_digits
from runner.dialects._xml import Element, document, element, url_slot

#: What the runner's media socket speaks: 8 kHz mu-law, as Twilio sends by default.
MULAW_8K = "audio/x-mulaw;rate=8000"
_LOOPBACK_WS = re.compile(r"ws://(127\.0\.0\.1|localhost|\[::1\])[:/]")
_PLIVO_HEADER = re.compile(r"[A-Za-z0-9]+")
_PLIVO_HEADERS_MAX_BYTES = 512


def reject(provider: str) -> str:
    """Refuse an incoming call; where the carrier can, without answering it."""
    table = dialect(provider)
    return document(table, [element(table, "reject", [("reason", "rejected")])])


def dtmf_then_redirect(provider: str, digits: str, redirect_url: str) -> str:
    """Send ``digits`` on the call (``w`` waits half a second), then fetch ``redirect_url``."""
    table = dialect(provider)
    digits = fit_digits(table, digits)
    check_digits(table, digits)
    return document(table, [send_digits(table, digits), redirect(table, url_slot(0))], [redirect_url])


def stream(provider: str, url: str, parameters: Mapping[str, str]) -> str:
    """Hand the call to the media socket at ``url`` until it closes, then hang up."""
    table = dialect(provider)
    _check_stream_url(table, url)
    children: list[Element] = []
    headers = None
    if "parameter" in table.elements:
        children = [element(table, "parameter", [("name", k), ("value", v)]) for k, v in parameters.items()]
    else:
        headers = _extra_headers(table, parameters)
    attrs = [
        ("url", url),
        ("bidirectional", "true"),
        ("keep_call_alive", "true"),
        ("content_type", MULAW_8K),
        ("extra_headers", headers),
        ("codec", "PCMU"),
        ("bidirectional_mode", "rtp"),
    ]
    text = None if table.has("stream", "url") else url
    socket = element(table, "stream", attrs, text=text, children=children)
    # Connect holds the call while the socket is open; the hangup ends it once it closes.
    verb = element(table, "connect", children=[socket]) if "connect" in table.elements else socket
    return document(table, [verb, hangup(table)])


def _check_stream_url(table: Dialect, url: str) -> None:
    # Plain ws:// only to this machine: the mock carrier, and tests acting as a carrier.
    if not url.startswith("wss://") and not _LOOPBACK_WS.match(url):
        raise DialectLimitError(table.name, f"stream URL {url!r} must start with wss://")
    if table.name == "twilio" and "?" in url:
        raise DialectLimitError(
            table.name, f"twilio drops the query of stream URL {url!r}; pass its values as parameters"
        )


def _extra_headers(table: Dialect, parameters: Mapping[str, str]) -> str | None:
    for pair in parameters.items():
        for part in pair:
            if not _PLIVO_HEADER.fullmatch(part):
                raise DialectLimitError(
                    table.name,
                    f"stream parameter {pair[0]!r}={pair[1]!r}: {table.name} passes only "
                    "letters and digits A-Z, a-z, 0-9 in names and values",
                )
    joined = ",".join(f"{name}={value}" for name, value in parameters.items())
    size = len(joined.encode())
    if size > _PLIVO_HEADERS_MAX_BYTES:
        attr = table.elements["stream"].attrs["extra_headers"]
        raise DialectLimitError(
            table.name,
            f"stream parameters take {size} bytes as {attr}, over the limit of {_PLIVO_HEADERS_MAX_BYTES}",
        )
    return joined or None
