"""One-off calls without a flow file: a message to say, placed as one of the built-in flows.

The message is an input value of the flow, never part of a template: it is spoken as
written, whatever braces or angle brackets it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).resolve().parent

#: The built-in flow of each kind of message call, by name, with its file.
MESSAGE_FLOW_FILES = {
    "callflow-message": _HERE / "message.yaml",
    "callflow-message-conversation": _HERE / "message-conversation.yaml",
    "callflow-message-dtmf": _HERE / "message-dtmf.yaml",
}

#: What a message call may be: say it and hang up, or say it and let the agent talk.
MESSAGE_MODES = ("notify", "conversation")

# The characters a flow's dtmf_sequence may hold (the flow format's dtmf-characters rule).
_DTMF_CHARACTERS = frozenset("0123456789*#wWpP,")

DTMF_NEEDS_CONVERSATION = (
    "a DTMF sequence needs mode 'conversation': the digits are sent as the call connects, to get "
    "through a bridge or a menu to someone to talk with, and a notify call only says its message "
    "and hangs up"
)


class MessageCallError(ValueError):
    """A message call asked for something it cannot be; ``field`` names the part at fault
    (``to``, ``message``, ``mode`` or ``dtmf_sequence``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MessageCall:
    """A call that says ``message`` to ``to``; checked when made with ``message_call``."""

    to: str
    message: str
    mode: str = "notify"
    dtmf_sequence: str | None = None

    @property
    def flow_name(self) -> str:
        """The built-in flow that places this call."""
        if self.dtmf_sequence is not None:
            return "callflow-message-dtmf"
        return "callflow-message" if self.mode == "notify" else "callflow-message-conversation"

    @property
    def flow_file(self) -> Path:
        return MESSAGE_FLOW_FILES[self.flow_name]

    @property
    def variables(self) -> dict[str, str]:
        """The built-in flow's inputs, as text (the control API's ``vars``)."""
        values = {"to": self.to, "message": self.message}
        if self.dtmf_sequence is not None:
            values["dtmf"] = self.dtmf_sequence
        return values


def message_call(
    to: str, message: str, mode: str = "notify", dtmf_sequence: str | None = None
) -> MessageCall:
    """The call, once its parts make sense together; MessageCallError saying why when not.

    The number's form is checked with the flow's inputs, as for any call."""
    if not message.strip():
        raise MessageCallError("message", "the message is empty: give the text to say")
    if mode not in MESSAGE_MODES:
        raise MessageCallError("mode", f"the mode is 'notify' or 'conversation', found '{mode}'")
    if dtmf_sequence is not None:
        if mode != "conversation":
            raise MessageCallError("dtmf_sequence", DTMF_NEEDS_CONVERSATION)
        bad = sorted({char for char in dtmf_sequence if char not in _DTMF_CHARACTERS})
        if not dtmf_sequence or bad:
            found = " ".join(repr(char) for char in bad) if bad else "nothing"
            raise MessageCallError(
                "dtmf_sequence", f"a DTMF sequence is made of 0-9 * # w W p P , only, found {found}"
            )
    return MessageCall(to, message, mode, dtmf_sequence)
