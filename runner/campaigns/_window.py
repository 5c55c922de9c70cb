"""Quiet hours: the calling window, in each recipient's local time.

A campaign with ``--window 09:00-20:00`` calls a recipient only while it is between
09:00 and 20:00 where they are. Where they are comes from the row's ``timezone`` cell,
else from their number (phonenumbers' time-zone data), else from the config's default
zone. A number whose area spans several zones is called only at a moment inside the
window in every one of them: the most restrictive reading (when no moment is, as for a
toll-free number, the default zone decides).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_zones

logger = logging.getLogger("callflow.campaigns")

#: The column a recipients file gives a row's own zone in (an IANA name: Europe/Paris).
TIMEZONE_COLUMN = "timezone"
#: The zone of the recipients no cell and no number places.
DEFAULT_ZONE = "UTC"

_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
#: How many days ahead a moment inside every zone's window is looked for.
_SEARCH_DAYS = 3


class WindowError(ValueError):
    """A calling window or a time zone that cannot be read."""


@dataclass(frozen=True)
class CallingWindow:
    """From ``start`` (included) to ``end`` (excluded), local wall-clock time; a window
    whose end is before its start runs over midnight (20:00-08:00)."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> CallingWindow:
        """``HH:MM-HH:MM``; WindowError saying what is wrong otherwise."""
        match = _WINDOW.fullmatch(text.strip())
        if match is None:
            raise WindowError(f"a calling window is HH:MM-HH:MM, as 09:00-20:00, not '{text}'")
        hours_start, minutes_start, hours_end, minutes_end = (int(part) for part in match.groups())
        try:
            start, end = dt.time(hours_start, minutes_start), dt.time(hours_end, minutes_end)
        except ValueError:
            raise WindowError(f"'{text}' is not a time of day from 00:00 to 23:59, twice") from None
        if start == end:
            raise WindowError(f"the calling window '{text}' starts when it ends: it would never call")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: dt.time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def opens(self, instant: float, zone: ZoneInfo) -> float:
        """The first moment from ``instant`` on that is inside the window in ``zone``."""
        local = dt.datetime.fromtimestamp(instant, zone)
        if self.contains(local.time()):
            return instant
        day = local.date()
        start = dt.datetime.combine(day, self.start, tzinfo=zone)
        if start <= local:
            start = dt.datetime.combine(day + dt.timedelta(days=1), self.start, tzinfo=zone)
        return start.timestamp()

    def next_open(self, instant: float, zones: Sequence[ZoneInfo]) -> float | None:
        """The first moment from ``instant`` on inside the window in every one of
        ``zones``; None when there is none within a few days (zones too far apart)."""
        moment = instant
        limit = instant + _SEARCH_DAYS * 86_400
        while moment <= limit:
            latest = max(self.opens(moment, zone) for zone in zones)
            if latest == moment:
                return moment
            moment = latest
        return None


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; WindowError naming it when there is none."""
    try:
        return _zone(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"unknown time zone '{name}' (an IANA name, as America/New_York)") from None


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def recipient_zones(number: str, time_zone: str | None, default: ZoneInfo) -> list[ZoneInfo]:
    """Where a recipient may be: their own zone, else their number's zones, else ``default``."""
    if time_zone:
        return [zone_named(time_zone)]
    return _number_zones(number) or [default]


def _number_zones(number: str) -> list[ZoneInfo]:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return []
    zones = []
    for name in phone_zones.time_zones_for_number(parsed):
        try:
            zones.append(_zone(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # "Etc/Unknown", or a zone this machine's data lacks
    return zones


@dataclass(frozen=True)
class QuietHours:
    """A campaign's calling window and the zone of recipients nothing else places."""

    window: CallingWindow
    default_zone: ZoneInfo

    def opens(self, instant: float, number: str, time_zone: str | None) -> float:
        """When the recipient may be called, from ``instant`` on (``instant`` itself when
        now is inside their window)."""
        zones = recipient_zones(number, time_zone, self.default_zone)
        opens = self.window.next_open(instant, zones)
        if opens is None:
            # No moment suits every zone of the number (a toll-free number spans the
            # Pacific): the campaign's default zone decides, as for a number of no zone.
            logger.warning(
                "%s: no moment of %s is inside the window in all of its %d zones; using %s",
                number,
                self.window,
                len(zones),
                self.default_zone,
            )
            opens = self.window.opens(instant, self.default_zone)
        return opens
