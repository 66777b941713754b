"""The shape of ``cpdesk.toml``: every key cpdesk knows, its type and range, checked before use.

A key cpdesk does not know (a typo like ``archvie``), a table where a value belongs, a value of the
wrong type or out of range: each is named with its line, all at once, before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
PARTICIPANT = re.compile(r"[A-Z0-9]{1,9}")

Check = Callable[[Any], str | None]  # why a value is wrong, or None


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be text in quotes"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false (without quotes)"


def _seconds(low: float, high: float, unit: str = "seconds") -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            return f"must be a number of {unit} from {low:g} to {high:g}"
        return None

    return check


def _pattern(pattern: re.Pattern[str], what: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            return f"must be {what}"
        return None

    return check


def _day(value: Any) -> str | None:
    if isinstance(value, date):
        return None
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a YYYY-MM-DD date"
        return None
    return "must be a YYYY-MM-DD date"


def _days(value: Any) -> str | None:
    if not isinstance(value, list):
        return 'must be a list of dates, e.g. ["2026-12-25", "2026-12-26"]'
    for item in value:
        why = _day(item)
        if why:
            return f"holds {item!r}: {why}"
    return None


def _addresses(value: Any) -> str | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return 'must be a list of "host:port" texts'
    return None


@dataclass(frozen=True, slots=True)
class Table:
    keys: dict[str, Check]
    required: tuple[str, ...] = ()


ACCOUNT = Table(
    {"name": _text, "key": _text, "passphrase_file": _text, "registered": _day},
    required=("name", "key"),
)
FACILITY = Table(
    {
        "name": _pattern(NAME, "letters, digits, '-' or '_' (it names the archive folder)"),
        "profile": _text,
        "participant": _pattern(PARTICIPANT, "the participant code in capitals, e.g. CXYZ"),
        "site": _text,
        "hosts": _addresses,
        "max_wait_seconds": _seconds(0, 3600),
        "check_hours": _boolean,
        "idle_timeout_seconds": _seconds(1, 3600),
        "accounts": lambda v: None,  # checked as tables below
    },
    required=("participant", "accounts"),
)
TOP = Table(
    {
        "archive": _text,
        "ledger": _text,
        "known_hosts": _text,
        "holidays": _days,
        "late_after_minutes": _seconds(0, 1440, "minutes"),
        "facility": lambda v: None,
    },
    required=("facility",),
)


def check_config(data: dict[str, Any], text: str, source: str) -> list[str]:
    """Every problem of the parsed file ``data`` (from ``text``), as ``source:line: key: why``."""
    lines = _key_lines(text)
    problems: list[str] = []
    problems += _check_table(data, TOP, ("top",), lines, source, "")
    facilities = data.get("facility", [])
    if not isinstance(facilities, list) or not all(isinstance(f, dict) for f in facilities):
        problems.append(f"{source}: facility: must be [[facility]] tables")
        return problems
    for number, facility in enumerate(facilities):
        where = f"[[facility]] #{number + 1} "
        problems += _check_table(facility, FACILITY, ("facility", number), lines, source, where)
        accounts = facility.get("accounts", [])
        if not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
            problems.append(f"{source}: {where}accounts: must be [[facility.accounts]] tables")
            continue
        if not accounts:
            problems.append(f"{source}: {where}has no [[facility.accounts]]")
        for index, account in enumerate(accounts):
            here = f"{where}account #{index + 1} "
            problems += _check_table(account, ACCOUNT, ("account", number, index), lines, source, here)
    return problems


def _check_table(
    data: dict[str, Any],
    table: Table,
    section: tuple[object, ...],
    lines: dict[tuple[object, ...], int],
    source: str,
    where: str,
) -> list[str]:
    problems = []
    for key, value in data.items():
        line = lines.get((*section, key))
        at = f"{source}:{line}" if line else source
        check = table.keys.get(key)
        if check is None:
            known = ", ".join(sorted(table.keys))
            problems.append(f"{at}: {where}{key}: not a key cpdesk knows (known here: {known})")
            continue
        why = check(value)
        if why:
            problems.append(f"{at}: {where}{key}: {why}")
    for key in table.required:
        if key not in data:
            problems.append(f"{source}: {where}{key} is missing")
    return problems


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _key_lines(text: str) -> dict[tuple[object, ...], int]:
    """Where each key is set: (section..., key) -> line number (1-based)."""
    found: dict[tuple[object, ...], int] = {}
    section: tuple[object, ...] = ("top",)
    facility = account = -1
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(1)
            if name == "facility":
                facility, account = facility + 1, -1
                section = ("facility", facility)
            elif name == "facility.accounts":
                account += 1
                section = ("account", facility, account)
            else:
                section = ("other", name)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((*section, key.group(1)), number)
    return found
