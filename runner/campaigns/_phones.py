"""Phone numbers as recipients write them, made E.164 with the phonenumbers library."""

from __future__ import annotations

import phonenumbers


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
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region
        country = f" in {where}" if where and where != "ZZ" else ""
        raise PhoneError(f"'{cell}' is not a valid phone number{country}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_code(text: str) -> str:
    """``text`` as the two-letter code of a country with a numbering plan (``us`` is ``US``).

    Raises PhoneError for a code phonenumbers does not know.
    """
    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneError(f"'{text}' is not a country code such as US, GB or DE (ISO 3166 alpha-2)")
    return code
