"""What each carrier takes: values moved into its ranges, and what it refuses or cuts.

Where a carrier takes a narrower range than the flow format allows (Plivo waits at
least 5 s for an answer, Telnyx pauses at most 180 s), ``fit_actions`` moves the value
to the nearest one the carrier accepts and says so, so a flow that lints clean never
fails mid-call on a number. What cannot be moved (too long a text, a key that is no
DTMF key) is a ``DialectLimitError`` from ``check_limits`` that names the element, the
attribute and the value, instead of a carrier error (or a silently cut prompt) in
the middle of a call.
"""

from __future__ import annotations

import dataclasses
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
# A carrier without W waits a second as two half-second waits.
_ONE_SECOND_WAIT = "ww"
# The flow format's pause keys, which no carrier knows and the format gives no length:
# the one-second wait every carrier can make.
_PAUSES_AS_W = str.maketrans({"p": "W", "P": "W", ",": "W"})
_WAIT_WORDS = {"w": "w (wait half a second)", "W": "W (wait a second)"}
# Twilio and Plivo take one finishing key; Telnyx takes a set of them.
_ONE_FINISH_KEY = {"twilio": True, "plivo": True, "telnyx": False}
# The voices a carrier's speech element takes, where it takes a closed set: its voice
# names, and the prefixes of its voice families. Plivo's <Speak> takes MAN, WOMAN or an
# Amazon Polly voice (Plivo's Speak XML reference; the plivo-ruby SDK's Speak refuses
# any other). Twilio (man, woman, alice, Polly.*, Google.*) and Telnyx (the same and
# more families: Azure.*, ElevenLabs.*, Telnyx.*, ...) keep adding families: not checked.
_VOICES = {"plivo": (("MAN", "WOMAN"), ("Polly.",))}

_PREVIEW = 24


def fit_actions(provider: str, actions: Iterable[Action]) -> tuple[tuple[Action, ...], tuple[str, ...]]:
    """``actions`` with each value ``provider`` takes in a narrower range moved to the
    nearest one it accepts, and a note on every value moved."""
    table = dialect(provider)
    fitted: list[Action] = []
    notes: list[str] = []
    for action in actions:
        moved, note = _fit(table, action)
        fitted.append(moved)
        if note is not None:
            notes.append(f"{table.name}: {note}")
    return tuple(fitted), tuple(notes)


def fit_digits(table: Dialect, digits: str) -> str:
    """``digits`` in the waits ``table``'s carrier knows: a pause (p, P or ,) is a W,
    and a W is two w where the carrier has no W."""
    digits = digits.translate(_PAUSES_AS_W)
    if "W" in digits and "W" not in _DIGIT_WAITS[table.name]:
        return digits.replace("W", _ONE_SECOND_WAIT)
    return digits


def _fit(table: Dialect, action: Action) -> tuple[Action, str | None]:
    if isinstance(action, Pause):
        limits = _PAUSE_RANGE[table.name]
        seconds = _nearest(action.seconds, limits)
        if seconds != action.seconds:
            note = (
                f"<{table.tag('pause')}> length takes {_range_words(limits)}: "
                f"a pause of {action.seconds} s is {seconds} s"
            )
            return Pause(seconds), note
    elif isinstance(action, Gather):
        asked, limits = wait_seconds(action), _GATHER_TIMEOUT_RANGE[table.name]
        seconds = _nearest(asked, limits)
        if seconds != asked:
            tag = table.elements["gather"]
            note = (
                f"<{tag.name}> {tag.attrs['timeout']} takes {_range_words(limits)}: "
                f"a timeout of {action.timeout:g} s is {seconds} s"
            )
            return dataclasses.replace(action, timeout=float(seconds)), note
    elif isinstance(action, SendDigits):
        digits = fit_digits(table, action.digits)
        if digits != action.digits:
            why = []
            if action.digits.translate(_PAUSES_AS_W) != action.digits:
                why.append("p, P and , pause a second, as W does")
            if "W" not in _DIGIT_WAITS[table.name] and "W" not in digits:
                why.append("there is no W (wait a second) in its digits")
            note = f"{'; '.join(why)}: {action.digits!r} is sent as {digits!r}"
            return SendDigits(digits), note
    elif isinstance(action, Speak) and action.voice is not None:
        voice = _voice_named(table, action.voice)
        if voice != action.voice:
            takes = f"<{table.tag('speak')}> voice takes {_voice_words(table)}"
            note = f"{takes}: {action.voice!r} is sent as {voice!r}"
            return dataclasses.replace(action, voice=voice), note
    return action, None


def _voice_named(table: Dialect, voice: str) -> str:
    """``voice`` as ``table``'s carrier spells it, where only the case differs (man: MAN)."""
    names, _ = _VOICES.get(table.name, ((), ()))
    return next((name for name in names if name.casefold() == voice.casefold()), voice)


def _voice_words(table: Dialect) -> str:
    names, families = _VOICES[table.name]
    *others, last = [*names, *(f"{family}<name>" for family in families)]
    return f"{', '.join(others)} or {last}"


def _nearest(seconds: int, limits: tuple[int, int | None]) -> int:
    lowest, highest = limits
    seconds = max(seconds, lowest)
    return seconds if highest is None else min(seconds, highest)


def _range_words(limits: tuple[int, int | None]) -> str:
    lowest, highest = limits
    return f"at least {lowest} s" if highest is None else f"{lowest} to {highest} s"


def check_limits(provider: str, actions: Iterable[Action]) -> None:
    """Raise ``DialectLimitError`` for the first action ``provider`` would refuse or cut
    (after ``fit_actions``: a value in the wrong range is moved, not refused)."""
    table = dialect(provider)
    for action in actions:
        if isinstance(action, Speak):
            _check_voice(table, action.voice)
            _check_speak(table, action)
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


def _check_voice(table: Dialect, voice: str | None) -> None:
    if voice is None or table.name not in _VOICES:
        return
    names, families = _VOICES[table.name]
    if voice not in names and not any(voice.startswith(family) for family in families):
        raise DialectLimitError(
            table.name,
            f"<{table.tag('speak')}> voice {voice!r} is not a {table.name.capitalize()} voice; "
            f"it takes {_voice_words(table)}",
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


def _check_gather(table: Dialect, action: Gather) -> None:
    tag = table.elements["gather"]
    if not action.input or any(kind not in INPUT_KINDS for kind in action.input):
        raise DialectLimitError(
            table.name, f"<{tag.name}> input {action.input!r} must be dtmf, speech or both"
        )
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
