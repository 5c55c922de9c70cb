"""The dry run's summary: how many calls, what the first ones say, how long it takes."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from runner.campaigns._check import CampaignCheck, Recipient

#: How many calls the preview shows.
PREVIEW_CALLS = 3


@dataclass(frozen=True)
class DryRun:
    check: CampaignCheck
    #: Whether invalid rows are left out (``--skip-invalid``) rather than stopping the campaign.
    skip_invalid: bool
    #: Calls started per second.
    cps: float
    #: How fast speech is taken to be, in characters a second.
    speech_chars_per_second: float

    @property
    def blocked(self) -> bool:
        """Whether no call would be placed: a row is invalid and invalid rows are not skipped."""
        return bool(self.check.invalid_lines) and not self.skip_invalid

    @property
    def calls(self) -> int:
        return 0 if self.blocked else len(self.check.recipients)

    @functools.cached_property
    def longest(self) -> Recipient | None:
        if self.blocked or not self.check.recipients:
            return None
        return max(self.check.recipients, key=lambda recipient: len(recipient.message))

    @property
    def estimated_seconds(self) -> float:
        """The calls started at the pace, and the longest call's speech after the last start."""
        longest = self.longest
        if longest is None:
            return 0.0
        return self.calls / self.cps + len(longest.message) / self.speech_chars_per_second

    def preview(self) -> list[Recipient]:
        return [] if self.blocked else self.check.recipients[:PREVIEW_CALLS]

    def format(self) -> str:
        """The summary as lines for a terminal, after the problems."""
        check, invalid = self.check, len(self.check.invalid_lines)
        if self.blocked:
            return (
                f"{check.file}: {_count(check.rows, 'row')}, {invalid} invalid: no call is placed "
                "while a row is invalid (fix it, or give --skip-invalid to leave it out)\n"
            )
        skipped = f", {_count(invalid, 'invalid row')} left out" if invalid else ""
        calls = _count(self.calls, "call")
        lines = [f"{check.file}: {calls} of flow '{check.flow}'{skipped} (dry run: none placed)"]
        preview = self.preview()
        if preview:
            lines.append(
                "the first call says:" if len(preview) == 1 else f"the first {len(preview)} calls say:"
            )
            # One line a call: a line break inside a cell is shown as a space.
            lines.extend(
                f"  line {each.line}, {each.number}: {' '.join(each.message.split())}" for each in preview
            )
        longest = self.longest
        if longest is not None:
            speech = len(longest.message) / self.speech_chars_per_second
            lines.append(
                f"estimated duration: {_duration(self.estimated_seconds)} at {self.cps:g} "
                f"call{'s' if self.cps != 1 else ''} a second ({calls} started, then "
                f"{_duration(speech)} of the longest call's speech)"
            )
            lines.append(f"longest message: {len(longest.message):,} characters, line {longest.line}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, object]:
        longest = self.longest
        check = self.check
        return {
            "file": check.file,
            "flow": check.flow,
            "rows": check.rows,
            "calls": self.calls,
            "invalid": len(check.invalid_lines),
            "invalid_lines": check.invalid_lines,
            "skip_invalid": self.skip_invalid,
            "preview": [
                {"line": recipient.line, "to": recipient.number, "says": list(recipient.spoken)}
                for recipient in self.preview()
            ],
            "cps": self.cps,
            "estimated_seconds": round(self.estimated_seconds, 1),
            "longest_message": None
            if longest is None
            else {"characters": len(longest.message), "line": longest.line},
            "problems": [problem.as_json() for problem in check.problems],
        }


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' if number != 1 else ''}"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, seconds_left = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds_left} s"
    hours, minutes_left = divmod(minutes, 60)
    return f"{hours} h {minutes_left} min"
