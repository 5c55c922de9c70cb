"""Phone numbers: E.164, checked with the phonenumbers library's numbering plans."""

from __future__ import annotations

import re

import phonenumbers

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
EXAMPLE = "+14155550100"


def e164_problem(text: str) -> str | None:
    """Why ``text`` is not a dialable E.164 number, or None when it is one."""
    if not _E164.fullmatch(text):
        return f"expected an E.164 phone number such as {EXAMPLE} ('+', country code, number; no spaces)"
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return "expected an E.164 phone number; this country code does not exist"
    if not phonenumbers.is_possible_number(number):
        return "expected an E.164 phone number; this one has the wrong length for its country"
    return None
