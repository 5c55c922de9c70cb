"""Each engine action as canonical elements of one dialect: the shape of every verb.

Where the dialects differ in shape rather than in names (digits as an attribute or
as text, a gather that calls its action on silence or not), the table says which
shape a dialect has; the names themselves are spelled only in ``_tables``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from urllib.parse import urlencode

from runner.dialects._tables import Dialect
from runner.dialects._xml import Element, element
from runner.types import Gather, Pause, Play, Speak, Transfer

INPUT_KINDS = ("dtmf", "speech")
#: Plivo's digitEndTimeout (the gap allowed between two digits) is at most 10 s.
PLIVO_DIGIT_GAP_MAX = 10


def speak(dialect: Dialect, action: Speak) -> Element:
    attrs = [("voice", action.voice), ("language", action.language)]
    return element(dialect, "speak", attrs, text=action.text)


def play(dialect: Dialect, action: Play) -> Element:
    return element(dialect, "play", text=action.url)


def pause(dialect: Dialect, action: Pause) -> Element:
    return element(dialect, "pause", [("length", str(action.seconds))])


def send_digits(dialect: Dialect, digits: str) -> Element:
    if dialect.has("send_digits", "digits"):
        return element(dialect, "send_digits", [("digits", digits)])
    return element(dialect, "send_digits", [("async", "false")], text=digits)


def redirect(dialect: Dialect, url: str) -> Element:
    return element(dialect, "redirect", [("method", "POST")], text=url)


def transfer(dialect: Dialect, action: Transfer) -> Element:
    return element(dialect, "dial", children=[element(dialect, "number", text=action.to)])


def hangup(dialect: Dialect) -> Element:
    return element(dialect, "hangup")


def turn_url(webhook_url: str, call_id: str, token: str) -> str:
    """Where the carrier posts the caller's answer: the call and the turn ride in the query."""
    separator = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{separator}{urlencode({'call_id': call_id, 'turn': token})}"


def wait_seconds(action: Gather) -> int:
    """The gather's timeout in the whole seconds carriers take, never shorter than asked."""
    return math.ceil(action.timeout)


def gather(dialect: Dialect, action: Gather, action_url: str, prompts: Sequence[Element]) -> list[Element]:
    """The input element holding ``prompts``, then what makes silence reach the action too."""
    seconds = wait_seconds(action)
    attrs = [
        ("input", " ".join(kind for kind in INPUT_KINDS if kind in action.input)),
        ("num_digits", None if action.digits is None else str(action.digits)),
        ("finish_on_key", action.finish_on_key),
        ("timeout", str(seconds)),
        ("digit_end_timeout", str(min(seconds, PLIVO_DIGIT_GAP_MAX))),
        ("hints", ",".join(action.hints) if action.hints else None),
        ("action", action_url),
        ("method", "POST"),
        ("action_on_empty_result", "true"),
        ("redirect", "true"),
    ]
    verbs = [element(dialect, "gather", attrs, children=prompts)]
    if not dialect.has("gather", "action_on_empty_result"):
        # Without it a silent caller falls through to the next verb: send that to the
        # action as well, so every turn ends in exactly one request carrying its token.
        verbs.append(redirect(dialect, action_url))
    return verbs
