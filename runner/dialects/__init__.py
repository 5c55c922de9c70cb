"""The carriers' dialects: engine actions as TwiML (Twilio), Plivo XML and TeXML (Telnyx).

``render`` turns a turn's actions into the document the carrier fetches; ``reject``,
``dtmf_then_redirect`` and ``stream`` are the documents that are not a turn.
``fit_actions`` moves a value into a carrier's narrower range (the renderer does it);
``check_limits`` refuses, before the call, what a carrier would refuse or cut.
"""

from __future__ import annotations

from runner.dialects._documents import dtmf_then_redirect, reject, stream
from runner.dialects._errors import (
    DialectError,
    DialectLimitError,
    UnknownProviderError,
    UnsupportedActionError,
)
from runner.dialects._limits import check_limits, fit_actions
from runner.dialects._render import render
from runner.dialects._tables import PROVIDERS

__all__ = [
    "PROVIDERS",
    "DialectError",
    "DialectLimitError",
    "UnknownProviderError",
    "UnsupportedActionError",
    "check_limits",
    "dtmf_then_redirect",
    "fit_actions",
    "reject",
    "render",
    "stream",
]
