"""A cell is made E.164 exactly as phonenumbers' own parse, is_valid_number and format_number make it.

``to_e164`` does not ask ``is_valid_number`` (it tests a number found by testing it a
second time), so these hold it to that reference: on every region's example numbers,
written in each form, with their neighbours, and on generated ones.
"""

from __future__ import annotations

from collections.abc import Iterator

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from runner.campaigns import PhoneError, to_e164

#: Numbers that take the paths where regions share a country code, and Italian leading zeros.
CELLS: list[tuple[str, str | None]] = [
    ("(415) 555-0123", "US"),
    ("(416) 555-0123", "US"),  # Toronto: valid, in CA
    ("+1 268 464 1234", None),  # Antigua: a region told by leading digits
    ("+1 268 999 1234", "US"),
    ("+1 800 555 0199", None),
    ("+1 011 555 0199", None),
    ("+44 1534 456789", None),  # Jersey, which shares +44 with GB
    ("+44 7700 900123", None),
    ("+44 20 7946 0958", "GB"),
    ("020 7946 0958", "GB"),
    ("+7 701 123 4567", None),  # Kazakhstan, which shares +7 with Russia
    ("+7 912 345 6789", None),
    ("+39 06 6982 1234", None),  # Rome: an Italian leading zero
    ("+39 02 1234 5678", None),
    ("02 1234 5678", "IT"),
    ("+39 312 345 6789", None),
    ("+39 000 000", None),
    ("+225 07 01 23 45 67", None),
    ("+800 1234 5678", None),  # a country code of no country
    ("+882 1234 5678", None),
    ("+999 1234 5678", None),
    ("5", "US"),
]


def reference(cell: str, region: str | None) -> str | None:
    """The cell's E.164 form, or None: phonenumbers' own way."""
    try:
        number = phonenumbers.parse(cell.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def outcome(cell: str, region: str | None) -> str | None:
    try:
        return to_e164(cell, region)
    except PhoneError:
        return None


def example_numbers() -> Iterator[tuple[PhoneNumber, str]]:
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                yield number, region
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield number, "001"


def written_forms(number: PhoneNumber, region: str) -> Iterator[tuple[str, str | None]]:
    """The number as recipients write it, and its neighbours, some valid and some not."""
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    yield e164, None
    yield phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL), "US"
    if region != "001":
        yield phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), region
    last = int(e164[-1])
    yield e164[:-1] + str((last + 1) % 10), None
    yield e164[:-1] + str((last + 5) % 10), None
    yield e164[:-1], None
    yield e164 + "7", None


def test_every_regions_example_numbers_and_their_neighbours_agree_with_phonenumbers() -> None:
    cells = [form for number, region in example_numbers() for form in written_forms(number, region)]
    assert len(cells) > 5000
    disagreements = [
        (cell, region, outcome(cell, region), reference(cell, region))
        for cell, region in [*CELLS, *cells]
        if outcome(cell, region) != reference(cell, region)
    ]
    assert disagreements == []


def test_the_hand_picked_numbers_are_both_valid_and_invalid() -> None:
    results = [outcome(cell, region) for cell, region in CELLS]
    assert "+14165550123" in results
    assert "+390669821234" in results
    assert None in results


COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@settings(max_examples=500, deadline=None)
@given(
    code=st.sampled_from(COUNTRY_CODES),
    digits=st.text(alphabet="0123456789", min_size=3, max_size=14),
    region=st.sampled_from([None, "US", "GB", "IT", "KZ"]),
)
def test_generated_numbers_agree_with_phonenumbers(code: int, digits: str, region: str | None) -> None:
    for cell in (f"+{code}{digits}", f"+{code} {digits}", digits):
        assert outcome(cell, region) == reference(cell, region), cell
