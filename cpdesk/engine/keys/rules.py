"""The rules of a key's validity (seed 000 §6).

A renewed key is valid for 730 days; after a renewal the old and new keys both work for 14 calendar
days, then the old one is removed. Renewal is due at least every two years; cpdesk warns from 30
days before expiry, HKEX's expiry warning files start 14 days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

VALIDITY_DAYS = 730
OVERLAP_DAYS = 14
WARN_DAYS = 30
HKEX_WARNING_DAYS = 14


class KeyUrgency(StrEnum):
    """How soon a key needs renewing (stored and printed by value)."""

    OK = "ok"
    DUE = "due"  # within WARN_DAYS
    URGENT = "urgent"  # within HKEX_WARNING_DAYS
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no registration or renewal date known


@dataclass(frozen=True, slots=True)
class Renewal:
    """Key B replaced Key A on ``renewed_on`` (the guide's §6.1 example: 1 March 2020)."""

    renewed_on: date

    @property
    def old_key_last_day(self) -> date:
        return self.renewed_on + timedelta(days=OVERLAP_DAYS - 1)  # 1 March -> 14 March

    @property
    def new_key_last_day(self) -> date:
        return self.renewed_on + timedelta(days=VALIDITY_DAYS)  # 1 March 2020 -> 1 March 2022

    def valid_keys(self, day: date) -> tuple[str, ...]:
        """Which of "old" and "new" can sign on on ``day``."""
        valid = []
        if self.renewed_on <= day <= self.old_key_last_day:
            valid.append("old")
        if self.renewed_on <= day <= self.new_key_last_day:
            valid.append("new")
        if day < self.renewed_on:
            valid.append("old")
        return tuple(valid)


@dataclass(frozen=True, slots=True)
class KeyStanding:
    """Where one account's key stands on a given day."""

    expires_on: date  # the last day the key can sign on
    days_left: int
    overlap_until: date | None  # the previous key's last day, while it still works

    @property
    def urgency(self) -> KeyUrgency:
        if self.days_left < 0:
            return KeyUrgency.EXPIRED
        if self.days_left <= HKEX_WARNING_DAYS:
            return KeyUrgency.URGENT
        if self.days_left <= WARN_DAYS:
            return KeyUrgency.DUE
        return KeyUrgency.OK


def standing(valid_from: date, today: date, previous_renewal: bool = False) -> KeyStanding:
    """A key registered or renewed on ``valid_from``: its last day and how many days are left."""
    renewal = Renewal(valid_from)
    overlap = renewal.old_key_last_day if previous_renewal and today <= renewal.old_key_last_day else None
    return KeyStanding(renewal.new_key_last_day, (renewal.new_key_last_day - today).days, overlap)
