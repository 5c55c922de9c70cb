"""Did-you-mean hints for misspelt keys, step ids and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How like a word a choice must be to be offered (difflib's ratio).
CUTOFF = 0.6
#: Word-to-choice comparisons one ``Hints`` may make; see there.
MAX_COMPARISONS = 500_000


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word``, or None when none is close.

    The answer of ``difflib.get_close_matches(word, choices, n=1)``, found faster: a
    choice is compared in full only when difflib's cheap upper bounds say it could beat
    the best so far, which matters against a flow's thousands of step ids.
    """
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = None
    for choice in choices:
        matcher.set_seq1(choice)
        floor = CUTOFF if best is None else best[0]
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        score = matcher.ratio()
        if score >= CUTOFF and (best is None or (score, choice) > best):
            best = (score, choice)
    return best[1] if best is not None else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    match = closest(word, choices)
    return f"; did you mean '{match}'?" if match is not None else ""


class Hints:
    """``did_you_mean`` against one large list of choices, such as a flow's step ids.

    A hint compares its word with every choice, so a flow of many steps and as many
    misspelt names would spend minutes on hints alone. A word asked again gets the same
    hint, and once MAX_COMPARISONS are spent the rest get none: the first fifty misspelt
    names of a 10,000-step flow get a hint, all of those of a small one.
    """

    def __init__(self, choices: Iterable[str]) -> None:
        self._choices = list(choices)
        self._given: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        hint = self._given.get(word)
        if hint is None:
            spent = len(self._given) * len(self._choices)
            hint = did_you_mean(word, self._choices) if spent < MAX_COMPARISONS else ""
            self._given[word] = hint
        return hint
