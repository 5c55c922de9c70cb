"""What each carrier refuses or cuts, checked before a document goes out.

A limit broken here is a ``DialectLimitError`` that names the element, the attribute
and the value, instead of a carrier error (or a silently cut prompt) in the middle
of a call.
"""

from __future__ import annotations

from collections.abc import Iterable

from runner.dialects._errors import DialectLimitError
from runner.dialects._tables import Dialect, dialect
from runner.dialects._verbs import INPUT_KINDS, wait_seconds
from runner.types import Action, Gather, Pause, SendDigits, Speak

# Twilio counts <Say> text per voice family; any other voice gets the basic limit.
_TWILIO_SAY_LIMIT = 4096
_TWILIO_SAY_LIMITS_BY_VOICE = (("polly.", 3000, "Polly"), ("google.", 5000, "Google"))

# (lowest, highest or None) in whole seconds.
_PAUSE_RANGE = {"twilio": (1, None), "plivo": (1, None), "telnyx": (1, 180)}
# Plivo's is executionTimeout; its floor of 5 also keeps digitEndTimeout in its 2-10.
_GATHER_TIMEOUT_RANGE = {"twilio": (1, None), "plivo": (5, 60), "telnyx": (1, 120)}

_DTMF_KEYS = "0123456789*#"
_DIGIT_WAITS = {"twilio": "w", "plivo": "wW", "telnyx": "w"}
_WAIT_WORDS = {"w": "w (wait half a second)", "W": "W (wait a second)"}
# Twilio and Plivo take one finishing key; Telnyx takes a set of them.
_ONE_FINISH_KEY = {"twilio": True, "plivo": True, "telnyx": False}

_PREVIEW = 24


def check_limits(provider: str, actions: Iterable[Action]) -> None:
    """Raise ``DialectLimitError`` for the first action ``provider`` would refuse or cut."""
    table = dialect(provider)
    for action in actions:
        if isinstance(action, Speak):
            _check_speak(table, action)
        elif isinstance(action, Pause):
            _check_range(table, f"<{table.tag('pause')}> length", action.seconds, _PAUSE_RANGE)
        elif isinstance(action, SendDigits):
            check_digits(table, action.digits)
        elif isinstance(action, Gather):
            _check_gather(table, action)


def check_digits(table: Dialect, digits: str) -> None:
    waits = _DIGIT_WAITS[table.name]
    if not digits:
        raise DialectLimitError(table.name, "there are no digits to send")
    for char in digits:
        if char not in _DTMF_KEYS and char not in waits:
            allowed = ", ".join(["0-9", "*", "#", *(_WAIT_WORDS[wait] for wait in waits)])
            raise DialectLimitError(
                table.name, f"cannot send digits {digits!r}: {char!r} is not one of {allowed}"
            )


def _check_speak(table: Dialect, action: Speak) -> None:
    if table.name != "twilio":
        return
    limit, scope = _TWILIO_SAY_LIMIT, ""
    voice = (action.voice or "").casefold()
    for prefix, voice_limit, family in _TWILIO_SAY_LIMITS_BY_VOICE:
        if voice.startswith(prefix):
            limit, scope = voice_limit, f" for {family} voices"
    length = len(action.text)
    if length > limit:
        start = action.text[:_PREVIEW] + ("..." if length > _PREVIEW else "")
        raise DialectLimitError(
            table.name,
            f"<{table.tag('speak')}> text is {length:,} characters long, "
            f"over the limit of {limit:,}{scope} (it starts {start!r})",
        )


def _check_range(
    table: Dialect, what: str, seconds: int, ranges: dict[str, tuple[int, int | None]], note: str = ""
) -> None:
    lowest, highest = ranges[table.name]
    if highest is None and seconds < lowest:
        raise DialectLimitError(
            table.name, f"{what} is {seconds} seconds, under the minimum of {lowest}{note}"
        )
    if highest is not None and not lowest <= seconds <= highest:
        raise DialectLimitError(
            table.name, f"{what} is {seconds} seconds, outside {lowest} to {highest} seconds{note}"
        )


def _check_gather(table: Dialect, action: Gather) -> None:
    tag = table.elements["gather"]
    if not action.input or any(kind not in INPUT_KINDS for kind in action.input):
        raise DialectLimitError(
            table.name, f"<{tag.name}> input {action.input!r} must be dtmf, speech or both"
        )
    seconds = wait_seconds(action)
    rounded = "" if seconds == action.timeout else f" (a timeout of {action.timeout:g} s, rounded up)"
    _check_range(table, f"<{tag.name}> {tag.attrs['timeout']}", seconds, _GATHER_TIMEOUT_RANGE, rounded)
    if action.digits is not None and action.digits < 1:
        raise DialectLimitError(
            table.name, f"<{tag.name}> {tag.attrs['num_digits']} is {action.digits}; it must be at least 1"
        )
    _check_finish_on_key(table, action.finish_on_key)
    for hint in action.hints:
        if "," in hint:
            raise DialectLimitError(
                table.name,
                f"<{tag.name}> hint {hint!r} has a comma, which separates one hint from the next",
            )


def _check_finish_on_key(table: Dialect, keys: str) -> None:
    one = _ONE_FINISH_KEY[table.name]
    if all(key in _DTMF_KEYS for key in keys) and not (one and len(keys) > 1):
        return
    tag = table.elements["gather"]
    expected = "one key" if one else "keys"
    raise DialectLimitError(
        table.name,
        f"<{tag.name}> {tag.attrs['finish_on_key']} is {keys!r}; "
        f"it must be {expected} of 0-9, * and #, or empty for none",
    )
