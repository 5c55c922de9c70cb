"""Which ``on`` route a caller's answer takes."""

from __future__ import annotations

from flows._compile import Route, Step, words_of

#: The route kinds that take an answer (the others, no_input and no_match, take failures).
ANSWER_KINDS = ("dtmf", "speech", "any")


def takes_answers(step: Step) -> bool:
    return any(route.kind in ANSWER_KINDS for route in step.routes)


def match_digits(step: Step, digits: str, finish_on_key: str) -> Route | None:
    pressed = digits[:-1] if finish_on_key and digits.endswith(finish_on_key) else digits
    for route in step.routes:
        if route.kind == "dtmf" and route.digits == pressed:
            return route
    return step.route("any") if pressed else None


def match_speech(step: Step, text: str) -> Route | None:
    """The first speech keyword found as whole words in ``text``, else ``any``."""
    heard = words_of(text)
    for route in step.routes:
        if route.kind == "speech" and _contains(heard, route.words):
            return route
    return step.route("any") if heard else None


def _contains(heard: tuple[str, ...], words: tuple[str, ...]) -> bool:
    width = len(words)
    return any(heard[start : start + width] == words for start in range(len(heard) - width + 1))
