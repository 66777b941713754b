"""Facility profiles: what an HKEX SFTP facility allows, as data (``profiles/*.toml``).

A profile names the facility's sites and addresses, the SSH algorithms it speaks, the account
pattern, each folder and what it allows, operation hours, retention, and the sign-on and key-upload
controls. The client is held to it and the simulated facility follows it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from cpdesk.engine.calendar import HKT, TradingDays
from cpdesk.engine.sources import read_file

__all__ = [
    "BUILT_IN",
    "HKT",
    "FacilityProfile",
    "ProfileError",
    "TradingDays",
    "load_profile",
    "parse_profile",
]
BUILT_IN = ("derivatives", "securities-rap")
MAX_PROFILE_BYTES = 1 << 20


class ProfileError(ValueError):
    """A profile file that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Address:
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ProfileError(f"address {text!r} is not host:port")
        return cls(host, int(port))


@dataclass(frozen=True, slots=True)
class FolderRule:
    path: str  # may contain {participant} or {account}
    scope: str  # shared, participant or account
    list: bool
    download: bool
    upload: bool
    modify: bool  # overwrite, delete or rename
    dated_subfolders: bool = False

    def resolve(self, participant: str, account: str) -> str:
        return self.path.format(participant=participant, account=account)


DEFAULT_CLIENT_SIGNATURES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


@dataclass(frozen=True, slots=True)
class Algorithms:
    kex: tuple[str, ...]
    ciphers: tuple[str, ...]
    macs: tuple[str, ...]
    host_keys: tuple[str, ...]
    client_signatures: tuple[str, ...] = DEFAULT_CLIENT_SIGNATURES  # RSA signatures, in order


@dataclass(frozen=True)
class FacilityProfile:
    name: str
    title: str
    source: str
    facility: str
    configurable: tuple[str, ...]
    sites: dict[str, tuple[Address, ...]]
    algorithms: Algorithms
    account_pattern: str
    accounts_per_participant: int
    participant_of_account: str
    folders: tuple[FolderRule, ...]
    opens: time
    closes: time
    retention_days: int
    sign_on_max: int
    sign_on_window_seconds: int
    key_uploads_per_hour: int
    key_uploads_per_day: int
    read_size: int
    max_packet: int
    connect_timeout_seconds: float = 20.0
    idle_timeout_seconds: float = 60.0
    keepalive_seconds: int = 15

    def check_account(self, account: str) -> str | None:
        """Why an account name is wrong for this facility, or None."""
        if not re.fullmatch(self.account_pattern, account):
            return f"account {account!r} does not match {self.account_pattern} (capital letters only)"
        return None

    def participant_of(self, account: str) -> str:
        return account[:4] if self.participant_of_account == "prefix4" else account

    def folder(self, remote_folder: str, participant: str, account: str) -> FolderRule | None:
        """The rule for a top-level remote folder name as seen by ``account``."""
        for rule in self.folders:
            if rule.resolve(participant, account) == remote_folder:
                return rule
        return None

    def rule_for(self, folder: str, participant: str, account: str) -> FolderRule | None:
        """The rule for any remote folder path: a profile folder or one of its dated sub-folders."""
        for rule in self.folders:
            top = rule.resolve(participant, account)
            if folder == top or (rule.dated_subfolders and folder.startswith(top + "/")):
                return rule
        return None

    def download_folders(self, participant: str, account: str) -> list[tuple[str, FolderRule]]:
        return [
            (rule.resolve(participant, account), rule) for rule in self.folders if rule.download and rule.list
        ]

    def is_open(self, moment: datetime, is_trading_day: TradingDays) -> bool:
        """Operation hours: from ``opens`` on a trading day to ``closes`` the next morning."""
        local = moment.astimezone(HKT)
        if local.time() >= self.opens:
            return is_trading_day(local.date())
        if local.time() < self.closes:
            return is_trading_day(local.date() - timedelta(days=1))
        return False


def _clock_time(raw: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        raise ProfileError(f"{where}: {raw!r} is not HH:MM") from None


def _seconds(table: dict[str, Any], key: str, default: float, source: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ProfileError(f"{source}: [transfer] {key} must be a number of seconds from 1 to 3600")
    return float(value)


def parse_profile(text: str, source: str) -> FacilityProfile:
    try:
        data = tomllib.loads(text)
        algorithms = data["algorithms"]
        folders = tuple(
            FolderRule(
                path=str(f["path"]),
                scope=str(f["scope"]),
                list=bool(f["list"]),
                download=bool(f["download"]),
                upload=bool(f["upload"]),
                modify=bool(f["modify"]),
                dated_subfolders=bool(f.get("dated_subfolders", False)),
            )
            for f in data["folders"]
        )
        return FacilityProfile(
            name=str(data["name"]),
            title=str(data["title"]),
            source=str(data["source"]),
            facility=str(data["facility"]),
            configurable=tuple(data.get("configurable", ())),
            sites={site: tuple(Address.parse(a) for a in addrs) for site, addrs in data["sites"].items()},
            algorithms=Algorithms(
                tuple(algorithms["kex"]),
                tuple(algorithms["ciphers"]),
                tuple(algorithms["macs"]),
                tuple(algorithms["host_keys"]),
                tuple(algorithms.get("client_signatures", DEFAULT_CLIENT_SIGNATURES)),
            ),
            account_pattern=str(data["accounts"]["pattern"]),
            accounts_per_participant=int(data["accounts"]["per_participant"]),
            participant_of_account=str(data["accounts"]["participant_of_account"]),
            folders=folders,
            opens=_clock_time(data["hours"]["open"], f"{source} [hours] open"),
            closes=_clock_time(data["hours"]["close"], f"{source} [hours] close"),
            retention_days=int(data["retention"]["days"]),
            sign_on_max=int(data["sign_on"]["max"]),
            sign_on_window_seconds=int(data["sign_on"]["window_seconds"]),
            key_uploads_per_hour=int(data["key_upload"]["per_hour"]),
            key_uploads_per_day=int(data["key_upload"]["per_day"]),
            read_size=int(data["transfer"]["read_size"]),
            max_packet=int(data["transfer"]["max_packet"]),
            connect_timeout_seconds=_seconds(data["transfer"], "connect_timeout_seconds", 20, source),
            idle_timeout_seconds=_seconds(data["transfer"], "idle_timeout_seconds", 60, source),
            keepalive_seconds=int(_seconds(data["transfer"], "keepalive_seconds", 15, source)),
        )
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProfileError):
            raise
        raise ProfileError(f"{source}: missing or bad entry {exc}") from None


def load_profile(name_or_path: str, base: Path | None = None) -> FacilityProfile:
    """A built-in profile by name, or a profile file (relative to ``base``)."""
    if name_or_path in BUILT_IN:
        text = (
            resources.files("cpdesk.connectors.sftp.profiles")
            .joinpath(f"{name_or_path}.toml")
            .read_text("utf-8")
        )
        return parse_profile(text, f"built-in profile {name_or_path}")
    path = Path(name_or_path)
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        return parse_profile(read_file(path, MAX_PROFILE_BYTES).decode("utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(
            f"profile {name_or_path!r}: not built in ({', '.join(BUILT_IN)}) and {exc}"
        ) from None
