"""The calling window read in each recipient's local time: parsing, opening times across
midnight and daylight saving, and the most restrictive reading of a number of many zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from runner.campaigns import CallingWindow, QuietHours, WindowError, recipient_zones, zone_named

UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
DAY = CallingWindow.parse("09:00-20:00")


def at(text: str) -> float:
    """An instant given as UTC ``YYYY-MM-DD HH:MM``."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-20", "a calling window is HH:MM-HH:MM, as 09:00-20:00, not '9-20'"),
        ("09:00 - 20:00", "a calling window is HH:MM-HH:MM, as 09:00-20:00, not '09:00 - 20:00'"),
        ("09:00-24:00", "'09:00-24:00' is not a time of day from 00:00 to 23:59, twice"),
        ("09:61-20:00", "'09:61-20:00' is not a time of day from 00:00 to 23:59, twice"),
        ("09:00-09:00", "the calling window '09:00-09:00' starts when it ends: it would never call"),
    ],
)
def test_a_window_that_cannot_be_read_says_why(text: str, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        CallingWindow.parse(text)
    assert str(caught.value) == message


def test_inside_the_window_is_now_and_outside_is_the_next_start() -> None:
    assert DAY.opens(at("2026-12-01 14:00"), NEW_YORK) == at("2026-12-01 14:00")  # 09:00 in New York
    assert DAY.opens(at("2026-12-01 13:59"), NEW_YORK) == at("2026-12-01 14:00")
    # 20:00 itself is outside: the next day's 09:00.
    assert DAY.opens(at("2026-12-02 01:00"), NEW_YORK) == at("2026-12-02 14:00")


def test_a_window_over_midnight() -> None:
    night = CallingWindow.parse("20:00-08:00")
    assert str(night) == "20:00-08:00"
    assert night.opens(at("2026-12-01 23:00"), UTC) == at("2026-12-01 23:00")
    assert night.opens(at("2026-12-02 07:59"), UTC) == at("2026-12-02 07:59")
    assert night.opens(at("2026-12-02 08:00"), UTC) == at("2026-12-02 20:00")


def test_the_window_follows_daylight_saving_time() -> None:
    # New York moves from UTC-5 to UTC-4 on 8 March 2026: 09:00 is 14:00 UTC, then 13:00.
    assert DAY.opens(at("2026-03-07 12:00"), NEW_YORK) == at("2026-03-07 14:00")
    assert DAY.opens(at("2026-03-09 12:00"), NEW_YORK) == at("2026-03-09 13:00")


def test_a_number_of_several_zones_is_called_when_every_zone_is_inside() -> None:
    # 13:00 UTC: 08:00 in New York, 05:00 in Los Angeles; 17:00 UTC is 09:00 in Los Angeles.
    assert DAY.next_open(at("2026-12-01 13:00"), [NEW_YORK, LOS_ANGELES]) == at("2026-12-01 17:00")
    # 02:00 UTC: 21:00 in New York (closed until tomorrow 14:00 UTC), 18:00 in Los Angeles.
    assert DAY.next_open(at("2026-12-02 02:00"), [NEW_YORK, LOS_ANGELES]) == at("2026-12-02 17:00")
    narrow = CallingWindow.parse("09:00-10:00")
    assert narrow.next_open(at("2026-12-01 13:00"), [NEW_YORK, LOS_ANGELES]) is None


def test_where_a_recipient_is() -> None:
    default = ZoneInfo("Europe/Paris")
    assert recipient_zones("+14155550100", None, default) == [LOS_ANGELES]
    assert recipient_zones("+14155550100", "Asia/Tokyo", default) == [ZoneInfo("Asia/Tokyo")]
    # A number of no known zone (an international network) is in the default zone.
    assert recipient_zones("+88213500000", None, default) == [default]
    with pytest.raises(WindowError, match=r"unknown time zone 'Mars/Olympus' \(an IANA name"):
        zone_named("Mars/Olympus")


def test_a_toll_free_number_spanning_the_pacific_is_called_when_all_its_zones_allow() -> None:
    # +1 800 spans Guam (UTC+10) to Pago Pago (UTC-11): at 23:00 UTC it is 09:00 in Guam
    # and 19:30 in St John's, the two ends of the day's window.
    quiet = QuietHours(DAY, ZoneInfo("Europe/Paris"))
    assert quiet.opens(at("2026-12-01 06:00"), "+18005550100", None) == at("2026-12-01 23:00")
    # A three-hour window has no moment that suits them all: the default zone decides
    # (06:00 UTC is 07:00 in Paris, whose window opens at 08:00 UTC).
    morning = QuietHours(CallingWindow.parse("09:00-12:00"), ZoneInfo("Europe/Paris"))
    assert morning.opens(at("2026-12-01 06:00"), "+18005550100", None) == at("2026-12-01 08:00")
