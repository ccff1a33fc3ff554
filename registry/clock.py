"""What day it is for the registry: the one clock every reader of the time model asks.

A standard comes into force at the start of a day in China, so "today" is the calendar day in the
registry's time zone (``REGISTRY_TIMEZONE``, default Asia/Shanghai), not the server's UTC date.
Tests inject a :class:`Clock` that is set to any day instead of sleeping until it comes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .errors import BadRequest

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Clock:
    """The registry's notion of now and today. ``fixed`` pins the instant (tests, ``--as-of``)."""

    def __init__(self, tz: str = DEFAULT_TIMEZONE, *, fixed: datetime | None = None):
        self.tz = ZoneInfo(tz)
        self.fixed = fixed

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        return self.fixed if self.fixed is not None else datetime.now(UTC)

    def today(self) -> date:
        """The calendar day in the registry's time zone."""
        return self.now().astimezone(self.tz).date()

    def day_of(self, moment: datetime | None) -> date | None:
        """The registry's calendar day of an instant (naive instants are UTC, as SQLite returns them)."""
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz).date()

    def set(self, moment: datetime | date) -> None:
        """Move a test clock to an instant, or to noon of a day in the registry's time zone."""
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day, 12, tzinfo=self.tz)
        self.fixed = moment.astimezone(UTC)


def clock_from_config(config) -> Clock:
    return Clock(config["TIMEZONE"])


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_day(value: str, field: str = "as_of") -> date:
    """A day written ``YYYY-MM-DD``, exactly (``date.fromisoformat`` also takes 20230501 and
    2023-W18-1); anything else is a 400 naming ``field``."""
    if _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # the right shape, not a day: 2023-13-01
    raise BadRequest(f"{field} must be a date YYYY-MM-DD, not {value[:20]!r}", details={"field": field})
