"""``cpdesk.toml``: who the participant is, which facility, which keys, where things are kept."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.sftp.client import Credentials
from cpdesk.connectors.sftp.profile import Address, FacilityProfile, ProfileError, TradingDays, load_profile
from cpdesk.desk.config_schema import check_config
from cpdesk.engine.keys import KEY_FILE_LIMIT
from cpdesk.engine.sources import read_file
from cpdesk.fileio import write_atomically

DEFAULT_NAME = "cpdesk.toml"
DEFAULT_LATE_AFTER_MINUTES = 30.0

CONFIG_HEAD = """\
# cpdesk configuration. Paths are relative to this file.

# Where fetched reports are kept (<archive>/<facility>/<business date>/<folder>/<name>) and the
# SQLite ledger of every sign-on and every file.
archive = "archive"
ledger = "cpdesk-ledger.sqlite"

# Pinned SSH host keys (OpenSSH known_hosts format). cpdesk never connects to a server whose key
# is not here; add one with `cpdesk facility trust` after checking its fingerprint with HKEX.
known_hosts = "known_hosts"

# Exchange holidays (trading days are Monday to Friday except these), for operation hours.
holidays = []

# A report counts as late this many minutes after its expected time (the catalogue's).
late_after_minutes = 30
"""

DERIVATIVES_BLOCK = """
# HKEX Report Retrieval Solution for Derivatives Markets (the derivatives SFTP guide).
[[facility]]
name = "derivatives"             # a label; also the archive sub-folder
profile = "derivatives"          # built in: "derivatives" or "securities-rap"; or a profile file
participant = "{participant}"    # DCASS customer code (CXXX)
site = "primary"                 # switch to "secondary" only when HKEX announces it
# hosts = ["127.0.0.1:2222"]     # override the profile's addresses (the simulated facility)
max_wait_seconds = 0             # wait this long for a sign-on slot instead of exiting
# idle_timeout_seconds = 60      # cut a transfer or listing that receives nothing this long
check_hours = true               # do not connect outside the facility's operation hours

# Tried in order; a sync signs on once, with the first account that has sign-on budget left.
[[facility.accounts]]
name = "{participant}001"
key = "keys/{participant}001"       # OpenSSH private key: never uploaded, never logged
# passphrase_file = "keys/{participant}001.passphrase"
# registered = "2025-03-01"         # when HKEX registered this key (for `cpdesk keys status`)

[[facility.accounts]]
name = "{participant}002"
key = "keys/{participant}002"
"""

RAP_BLOCK = """
# HKSCC Report Access Platform (RAP) for securities (NGRM) reports. Its address, and the values
# the built-in profile marks as assumed, come from the RAP guide HKEX gives the participant.
[[facility]]
name = "securities"
profile = "securities-rap"
participant = "{rap_participant}"   # CCASS participant id
hosts = ["{rap_host}"]
max_wait_seconds = 0
check_hours = true

[[facility.accounts]]
name = "{rap_participant}"           # one user per participant, named by its CCASS id
key = "keys/{rap_participant}"
"""


def render_template(
    participant: str | None = "CXXX", rap_participant: str | None = None, rap_host: str | None = None
) -> str:
    """A commented configuration with a block for the derivatives facility (``participant``), for
    RAP (``rap_participant`` and ``rap_host``), or both."""
    text = CONFIG_HEAD
    if participant is not None:
        text += DERIVATIVES_BLOCK.replace("{participant}", participant)
    if rap_participant is not None:
        text += RAP_BLOCK.replace("{rap_participant}", rap_participant).replace("{rap_host}", rap_host or "")
    return text


@dataclass(frozen=True)
class FacilityConfig:
    name: str
    profile: FacilityProfile
    participant: str
    site: str
    addresses: tuple[Address, ...]
    accounts: tuple[Credentials, ...]
    max_wait_seconds: float
    check_hours: bool
    registered: dict[str, date] = field(default_factory=dict)  # account -> key registered or renewed

    def account(self, name: str) -> Credentials | None:
        return next((a for a in self.accounts if a.account == name), None)


@dataclass(frozen=True)
class CpdeskConfig:
    path: Path
    archive: Path
    ledger: Path
    known_hosts: Path
    trading_days: TradingDays
    facilities: tuple[FacilityConfig, ...]
    late_after_minutes: float = DEFAULT_LATE_AFTER_MINUTES


def _path(base: Path, raw: Any, field: str) -> Path:
    if not isinstance(raw, str) or not raw:
        raise ConfigurationError(f"{field} must be a path")
    path = Path(raw).expanduser()
    return path if path.is_absolute() else base / path


def _facility(base: Path, raw: dict[str, Any], index: int) -> FacilityConfig:
    where = f"[[facility]] #{index + 1}"
    try:
        profile = load_profile(str(raw.get("profile", "derivatives")), base)
    except ProfileError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    site = str(raw.get("site", "primary"))
    if "hosts" in raw:
        try:
            addresses = tuple(Address.parse(str(h)) for h in raw["hosts"])
        except ProfileError as exc:
            raise ConfigurationError(f"{where}: {exc}") from None
    elif site in profile.sites:
        addresses = profile.sites[site]
    else:
        raise ConfigurationError(f"{where}: site {site!r} is not one of {', '.join(profile.sites)}")
    accounts = []
    registered: dict[str, date] = {}
    for account in raw.get("accounts", []):
        name = str(account.get("name", ""))
        problem = profile.check_account(name)
        if problem:
            raise ConfigurationError(f"{where}: {problem}")
        passphrase = None
        if "passphrase_file" in account:
            passphrase_path = _path(base, account["passphrase_file"], f"{where} passphrase_file")
            try:
                passphrase = read_file(passphrase_path, KEY_FILE_LIMIT).decode("utf-8").rstrip("\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigurationError(f"{where}: cannot read {passphrase_path}: {exc}") from None
        accounts.append(Credentials(name, _path(base, account.get("key"), f"{where} key"), passphrase))
        if "registered" in account:
            try:
                registered[name] = date.fromisoformat(str(account["registered"]))
            except ValueError:
                raise ConfigurationError(
                    f"{where}: registered {account['registered']!r} is not YYYY-MM-DD"
                ) from None
    if not accounts:
        raise ConfigurationError(f"{where}: no [[facility.accounts]]")
    participant = str(raw.get("participant", ""))
    for account in accounts:
        owner = profile.participant_of(account.account)
        if profile.participant_of_account == "prefix4" and owner != participant:
            raise ConfigurationError(
                f"{where}: account {account.account} does not belong to participant {participant}"
            )
    if "idle_timeout_seconds" in raw:
        profile = replace(profile, idle_timeout_seconds=float(raw["idle_timeout_seconds"]))
    return FacilityConfig(
        name=str(raw.get("name", profile.name)),
        profile=profile,
        participant=participant,
        site=site,
        addresses=addresses,
        accounts=tuple(accounts),
        max_wait_seconds=float(raw.get("max_wait_seconds", 0)),
        check_hours=bool(raw.get("check_hours", True)),
        registered=registered,
    )


MAX_CONFIG_BYTES = 1 << 20  # a configuration is a page of text, not a megabyte


def load_config(path: Path) -> CpdeskConfig:
    """Read and check ``cpdesk.toml``: every wrong key is named with its line, all at once."""
    try:
        if path.is_dir():
            raise ConfigurationError(f"{path} is a folder, not a configuration file")
        raw = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
    except OSError as exc:
        raise ConfigurationError(f"{path}: {exc.strerror or exc}; create one with `cpdesk init`") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigurationError(
            f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes; not a cpdesk configuration"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 (a UTF-16 file will not do)"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
    problems = check_config(data, text, str(path))
    if problems:
        raise ConfigurationError("\n".join(problems))
    base = path.resolve().parent
    try:
        holidays = [date.fromisoformat(str(d)) for d in data.get("holidays", [])]
    except ValueError as exc:
        raise ConfigurationError(f"{path}: holidays: {exc}") from None
    try:
        facilities = tuple(_facility(base, raw, n) for n, raw in enumerate(data.get("facility", [])))
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
    if not facilities:
        raise ConfigurationError(f"{path}: no [[facility]] section")
    names = [f.name for f in facilities]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{path}: facility names must differ")
    return CpdeskConfig(
        path=path,
        archive=_path(base, data.get("archive", "archive"), "archive"),
        ledger=_path(base, data.get("ledger", "cpdesk-ledger.sqlite"), "ledger"),
        known_hosts=_path(base, data.get("known_hosts", "known_hosts"), "known_hosts"),
        trading_days=TradingDays(holidays),
        facilities=facilities,
        late_after_minutes=float(data.get("late_after_minutes", DEFAULT_LATE_AFTER_MINUTES)),
    )


def replace_account_key(config_path: Path, account: str, new_key: Path, note: str) -> None:
    """Point ``account``'s ``key =`` line at ``new_key`` (relative to the file when possible) and
    leave ``note`` as a comment beside it; the file is rewritten in one rename, comments kept."""
    text = config_path.read_text("utf-8")
    base = config_path.resolve().parent
    try:
        shown = new_key.resolve().relative_to(base).as_posix()
    except ValueError:
        shown = new_key.resolve().as_posix()
    block = re.compile(
        rf'(name\s*=\s*"{re.escape(account)}"[^\[]*?)^(\s*)key\s*=\s*"[^"]*"[^\n]*$',
        re.MULTILINE | re.DOTALL,
    )
    updated, count = block.subn(lambda m: f'{m.group(1)}{m.group(2)}key = "{shown}"  # {note}', text, count=1)
    if count != 1:
        raise ConfigurationError(f"{config_path}: no key line for account {account} to update")
    write_atomically(config_path, updated.encode("utf-8"))
