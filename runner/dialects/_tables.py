"""The one table of names per dialect: canonical element and attribute names to the carrier's.

Everything else in this package speaks canonical names (``speak``, ``num_digits``);
only this module spells a carrier's. Telnyx ignores a misspelled or wrongly cased
attribute without a word, so a name is written once, here, and checked by the golden
tests. An attribute missing from a dialect's element means the carrier has no such
attribute there: the renderer leaves it out.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.dialects._errors import UnknownProviderError

PROVIDERS = ("twilio", "plivo", "telnyx")


@dataclass(frozen=True, slots=True)
class Tag:
    """One element of a dialect: its name and its attributes, canonical name to the carrier's."""

    name: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    elements: Mapping[str, Tag]
    #: Canonical elements the input element may hold as its prompt (the caller can barge in).
    gather_prompts: frozenset[str]

    def tag(self, element: str) -> str:
        return self.elements[element].name

    def has(self, element: str, attr: str) -> bool:
        return attr in self.elements[element].attrs


_SPEAK = {"voice": "voice", "language": "language"}
_DIAL = {"dial": Tag("Dial"), "number": Tag("Number")}

TWILIO = Dialect(
    name="twilio",
    elements={
        "response": Tag("Response"),
        "speak": Tag("Say", _SPEAK),
        "play": Tag("Play"),
        "pause": Tag("Pause", {"length": "length"}),
        "send_digits": Tag("Play", {"digits": "digits"}),
        "gather": Tag(
            "Gather",
            {
                "input": "input",
                "num_digits": "numDigits",
                "finish_on_key": "finishOnKey",
                "timeout": "timeout",
                "hints": "hints",
                "action": "action",
                "method": "method",
                "action_on_empty_result": "actionOnEmptyResult",
            },
        ),
        "redirect": Tag("Redirect", {"method": "method"}),
        **_DIAL,
        "hangup": Tag("Hangup"),
        "reject": Tag("Reject", {"reason": "reason"}),
        "connect": Tag("Connect"),
        "stream": Tag("Stream", {"url": "url"}),
        "parameter": Tag("Parameter", {"name": "name", "value": "value"}),
    },
    gather_prompts=frozenset({"speak", "play", "pause"}),
)

PLIVO = Dialect(
    name="plivo",
    elements={
        "response": Tag("Response"),
        "speak": Tag("Speak", _SPEAK),
        "play": Tag("Play"),
        "pause": Tag("Wait", {"length": "length"}),
        # The digits are the element's text; async="false" sends them all before the next element.
        "send_digits": Tag("DTMF", {"async": "async"}),
        "gather": Tag(
            "GetInput",
            {
                "input": "inputType",
                "num_digits": "numDigits",
                "finish_on_key": "finishOnKey",
                "timeout": "executionTimeout",
                "digit_end_timeout": "digitEndTimeout",
                "hints": "hints",
                "action": "action",
                "method": "method",
                "redirect": "redirect",
            },
        ),
        "redirect": Tag("Redirect", {"method": "method"}),
        **_DIAL,
        "hangup": Tag("Hangup"),
        "reject": Tag("Hangup", {"reason": "reason"}),
        # The socket URL is the element's text.
        "stream": Tag(
            "Stream",
            {
                "bidirectional": "bidirectional",
                "keep_call_alive": "keepCallAlive",
                "content_type": "contentType",
                "extra_headers": "extraHeaders",
            },
        ),
    },
    # Plivo's page names Speak and Play; its official SDKs also nest Wait.
    gather_prompts=frozenset({"speak", "play", "pause"}),
)

TELNYX = Dialect(
    name="telnyx",
    elements={
        "response": Tag("Response"),
        "speak": Tag("Say", _SPEAK),
        "play": Tag("Play"),
        "pause": Tag("Pause", {"length": "length"}),
        "send_digits": Tag("Play", {"digits": "digits"}),
        # No method (the action uses the TeXML application's) and no actionOnEmptyResult.
        "gather": Tag(
            "Gather",
            {
                "input": "input",
                "num_digits": "numDigits",
                "finish_on_key": "finishOnKey",
                "timeout": "timeout",
                "hints": "hints",
                "action": "action",
            },
        ),
        "redirect": Tag("Redirect", {"method": "method"}),
        **_DIAL,
        "hangup": Tag("Hangup"),
        "reject": Tag("Reject", {"reason": "reason"}),
        "connect": Tag("Connect"),
        # The codec of the caller's audio: PCMU (mu-law), whatever the call negotiated.
        "stream": Tag("Stream", {"url": "url", "codec": "codec", "bidirectional_mode": "bidirectionalMode"}),
        "parameter": Tag("Parameter", {"name": "name", "value": "value"}),
    },
    gather_prompts=frozenset({"speak", "play"}),
)

_DIALECTS = {dialect.name: dialect for dialect in (TWILIO, PLIVO, TELNYX)}


def dialect(provider: str) -> Dialect:
    """The table for ``provider``; an unknown name is an error that lists the known ones."""
    try:
        return _DIALECTS[provider]
    except KeyError:
        close = difflib.get_close_matches(provider.lower(), PROVIDERS, n=1)
        raise UnknownProviderError(provider, PROVIDERS, close[0] if close else None) from None
