"""The caller's side of a scripted call: the ``--input`` language.

    1, 42#        the caller presses these keys; the gather's finishing key ends the
                  entry and is not in the digits the carrier reports
    say:TEXT      the caller says TEXT
    silence       the caller says and presses nothing until the gather times out
    wait:N        the caller stays silent for N seconds: of real time on the mock
                  carrier, for live calls steered meanwhile; of the simulated clock in
                  the offline simulator, through any gather timeouts
    hangup        the caller hangs up

The simulator and the mock carrier play a callee from such a script; flow tests
write their inputs in it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

_KEYS = re.compile(r"[0-9*#]+")


@dataclass(frozen=True)
class Press:
    digits: str


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class HangUp:
    pass


CallerAction: TypeAlias = Press | Say | Silence | Wait | HangUp


class ScriptError(ValueError):
    """An input that is not in the --input language."""


def parse_input(text: str) -> CallerAction:
    stripped = text.strip()
    if stripped.startswith("say:"):
        spoken = stripped[len("say:") :].strip()
        if not spoken:
            raise ScriptError("'say:' needs the words the caller says, as in say:confirm")
        return Say(spoken)
    if stripped == "silence":
        return Silence()
    if stripped.startswith("wait:"):
        try:
            seconds = float(stripped[len("wait:") :])
        except ValueError:
            seconds = -1.0
        if not 0 < seconds <= 3600:
            raise ScriptError(f"'wait:' takes seconds from 0 to 3600, as in wait:5, found '{text}'")
        return Wait(seconds)
    if stripped == "hangup":
        return HangUp()
    if _KEYS.fullmatch(stripped):
        return Press(stripped)
    raise ScriptError(
        f"expected keys (0-9 * #), say:TEXT, silence, wait:N or hangup as an input, found '{text}'"
    )


def parse_inputs(texts: list[str]) -> list[CallerAction]:
    return [parse_input(text) for text in texts]


def digits_reported(keys: str, finish_on_key: str) -> str:
    """The digits a carrier reports for ``keys`` pressed at a gather.

    The finishing key ends the entry and is not part of it: ``94107#`` is reported as
    ``94107``, and keys after it reach no one.
    """
    return keys.partition(finish_on_key)[0] if finish_on_key else keys
