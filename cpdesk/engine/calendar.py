"""Hong Kong trading days: Monday to Friday except exchange holidays (given, not guessed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, timezone

HKT = timezone(timedelta(hours=8), "HKT")  # Hong Kong keeps no daylight saving


class TradingDays:
    """Monday to Friday except the listed holidays."""

    def __init__(self, holidays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)

    def __call__(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def latest_on_or_before(self, day: date) -> date:
        while not self(day):
            day -= timedelta(days=1)
        return day
