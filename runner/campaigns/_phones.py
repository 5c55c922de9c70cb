"""Phone numbers as recipients write them, made E.164 with the phonenumbers library."""

from __future__ import annotations

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber

# phonenumbers compiles each pattern of the numbering plans through re.compile on every use,
# several a number, and the re module's cache is shared with the whole process. Kept
# compiled, the same patterns match the same numbers in less time. (A phonenumbers release
# without the switch recompiles, and answers the same.)
_keep_compiled_patterns = getattr(phonenumbers, "enable_pattern_cache", None)
if _keep_compiled_patterns is not None:
    _keep_compiled_patterns()


class PhoneError(ValueError):
    """A cell that is not a valid phone number."""


def to_e164(text: str, region: str | None) -> str:
    """``text`` as an E.164 number. A national number (``(415) 555-0123``) needs ``region``,
    the country it is dialled in (``US``); a number with ``+`` and a country code does not.

    Raises PhoneError saying what is wrong.
    """
    cell = text.strip()
    if not cell:
        raise PhoneError("expected a phone number, found an empty cell")
    try:
        number = phonenumbers.parse(cell, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            if region is None and not cell.startswith("+"):
                raise PhoneError(
                    f"'{cell}' has no country code: write it as +<country code><number>, "
                    "or give the country of national numbers with --region (say --region US)"
                ) from None
            raise PhoneError(f"'{cell}' has a country code that does not exist") from None
        raise PhoneError(f"'{cell}' is not a phone number") from None
    if not _is_valid(number):
        where = phonenumbers.region_code_for_number(number) or region
        country = f" in {where}" if where and where != "ZZ" else ""
        raise PhoneError(f"'{cell}' is not a valid phone number{country}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_valid(number: PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number(number)``, without testing the number twice.

    ``is_valid_number`` first finds the number's region, then tests the number against
    that region's plan. Where regions share a country code (+1: the US, Canada and twenty
    more), the region is found by that very test, region after region, unless the region
    has leading digits to tell it by; a region found by the test needs no second one.
    """
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        return False
    metadata = PhoneMetadata.metadata_for_region(region)
    shared = len(COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0, ())) > 1
    if shared and metadata is not None and metadata.leading_digits is None:
        return True
    return phonenumbers.is_valid_number_for_region(number, region)


def region_code(text: str) -> str:
    """``text`` as the two-letter code of a country with a numbering plan (``us`` is ``US``).

    Raises PhoneError for a code phonenumbers does not know.
    """
    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneError(f"'{text}' is not a country code such as US, GB or DE (ISO 3166 alpha-2)")
    return code
