"""What a caller's answer is, and which ``on`` route it takes."""

from __future__ import annotations

from flows import FlowGather, Route, Step, words_of
from runner.types import Digits, InputEventBase, Speech

#: The route kinds that take an answer (the others, no_input and no_match, take failures).
ANSWER_KINDS = ("dtmf", "speech", "any")


def answer_of(event: InputEventBase, step: Step) -> tuple[str, str]:
    """(kind, transcript text) of an answer; an empty answer counts as no input."""
    if isinstance(event, Digits):
        finish = step.gather.finish_on_key if step.gather is not None else ""
        pressed = event.digits[:-1] if finish and event.digits.endswith(finish) else event.digits
        return ("dtmf", event.digits) if pressed else ("no_input", "")
    if isinstance(event, Speech) and event.text.strip():
        return "speech", event.text.strip()
    return "no_input", ""


def gather_of(step: Step) -> FlowGather:
    """The gather of a step where a turn that is not a consult's was open: it has one."""
    if step.gather is None:
        raise RuntimeError(f"a turn was open at step '{step.id}', which has neither gather nor consult")
    return step.gather


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
