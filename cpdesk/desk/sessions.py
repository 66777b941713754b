"""One way to sign on, for every job (sync, LOP upload and results, key renewal).

:func:`sign_on` checks the facility's operation hours, chooses the account (the named one, or the
first with sign-on budget left), and opens the connection through the sign-on governor with the
pinned host keys. How the connection is made is a :class:`Transport`: paramiko's SFTP client for
the real facility, an in-memory file system in fast tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cpdesk.connectors.errors import (
    AccountLocked,
    AuthenticationFailed,
    ConfigurationError,
    FacilityError,
    OutsideOperationHours,
    SignOnBudgetExhausted,
)
from cpdesk.connectors.sftp.client import Credentials, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS

LOCK_STEP_SECONDS = (
    300  # a locked account unlocks at the next five-minute mark (guide §4.3: 12:47:31 -> 12:50:00)
)


class Transport(Protocol):
    """Open a signed-on :class:`RemoteFs` for one account; reserve and finish the attempt with the
    governor; raise the :mod:`cpdesk.connectors.errors` it documents."""

    def __call__(
        self,
        facility: FacilityConfig,
        credentials: Credentials,
        known_hosts: KnownHosts,
        governor: SignOnGovernor,
        max_wait_seconds: float,
    ) -> RemoteFs: ...


def sftp_transport(
    facility: FacilityConfig,
    credentials: Credentials,
    known_hosts: KnownHosts,
    governor: SignOnGovernor,
    max_wait_seconds: float,
) -> RemoteFs:
    """The real facility: paramiko's SFTP client held to the facility's profile."""
    return open_session(
        facility.name,
        facility.profile,
        facility.addresses,
        credentials,
        known_hosts,
        governor,
        max_wait_seconds,
    )


@dataclass(frozen=True, slots=True)
class SignedOn:
    fs: RemoteFs
    facility: FacilityConfig
    credentials: Credentials


def account_for(
    config: CpdeskConfig, folder: str, account: str | None = None
) -> tuple[FacilityConfig, Credentials]:
    """The facility and account to use for ``/folder``: the named account, or else the first
    account of the first facility that has the folder."""
    for facility in config.facilities:
        credentials = facility.account(account) if account else next(iter(facility.accounts), None)
        if credentials is None:
            continue
        if facility.profile.folder(folder, facility.participant, credentials.account) is not None:
            return facility, credentials
        if account:
            raise ConfigurationError(f"facility {facility.name} has no {folder} folder")
    if account:
        raise ConfigurationError(f"account {account} is not in {config.path}")
    raise ConfigurationError(f"{config.path}: no facility with a /{folder} folder and an account")


def check_hours(config: CpdeskConfig, facility: FacilityConfig, now: float) -> None:
    """Raise :class:`OutsideOperationHours` when the facility is closed at ``now`` (and the
    configuration asks cpdesk to keep its hours)."""
    moment = datetime.fromtimestamp(now, HKT)
    if facility.check_hours and not facility.profile.is_open(moment, config.trading_days):
        profile = facility.profile
        raise OutsideOperationHours(
            f"{facility.name}: outside operation hours ({profile.opens:%H:%M} to "
            f"{profile.closes:%H:%M} on trading days); not connecting"
        )


def next_five_minute_mark(now: float) -> float:
    """When a facility lock taken at ``now`` ends: the next five-minute mark (HKT is a whole number
    of hours from UTC, so the marks are the same in epoch seconds)."""
    return (math.floor(now / LOCK_STEP_SECONDS) + 1) * LOCK_STEP_SECONDS


def sign_on(
    config: CpdeskConfig,
    facility: FacilityConfig,
    ledger: Ledger,
    *,
    account: Credentials | None = None,
    transport: Transport = sftp_transport,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    attempting: Callable[[Credentials], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> SignedOn:
    """One sign-on to ``facility``: with ``account``, or with the first of its accounts that can.

    An account without sign-on budget, or locked (as recorded), is passed over for the next one;
    when none could try, cpdesk waits up to ``max_wait_seconds`` for the earliest to free up. A
    refused key that worked before means another sign-on locked the account: the lock is recorded
    until the next five-minute mark and the next account is tried.

    ``attempting`` hears of each account an attempt is made with; ``warn`` of each account passed
    over. Raises :class:`OutsideOperationHours` before anything is spent, the earliest
    :class:`SignOnBudgetExhausted` (or :class:`AccountLocked`) when no account could try, the
    :class:`AuthenticationFailed` of a locked account, or what the transport raised."""
    check_hours(config, facility, clock())
    run = _SignOn(config, facility, ledger, transport, clock, sleep, attempting, warn or (lambda _: None))
    candidates = (account,) if account is not None else facility.accounts
    for credentials in candidates:
        signed = run.attempt(credentials, 0.0)
        if signed is not None:
            return signed
    if run.waiting:
        soonest, credentials = min(run.waiting, key=lambda item: item[0].next_slot_at)
        wait = soonest.next_slot_at - clock()
        if 0 < wait <= facility.max_wait_seconds and not isinstance(soonest, AccountLocked):
            run.waiting.clear()
            signed = run.attempt(credentials, facility.max_wait_seconds)
            if signed is not None:
                return signed
        elif 0 < wait <= facility.max_wait_seconds:
            sleep(wait + 0.01)
            run.waiting.clear()
            signed = run.attempt(credentials, 0.0)
            if signed is not None:
                return signed
    if run.refused is not None:
        raise run.refused
    if run.waiting:
        raise min((item[0] for item in run.waiting), key=lambda exc: exc.next_slot_at)
    raise ConfigurationError(f"{facility.name}: no accounts")


class _SignOn:
    """The attempts of one :func:`sign_on`: what was passed over, what was refused."""

    def __init__(
        self,
        config: CpdeskConfig,
        facility: FacilityConfig,
        ledger: Ledger,
        transport: Transport,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        attempting: Callable[[Credentials], None] | None,
        warn: Callable[[str], None],
    ) -> None:
        profile = facility.profile
        self.facility, self.ledger, self.transport, self.clock = facility, ledger, transport, clock
        self.governor = SignOnGovernor(
            ledger, profile.sign_on_max, profile.sign_on_window_seconds, clock, sleep
        )
        self.known_hosts = KnownHosts(config.known_hosts)
        self.attempting = attempting
        self.warn = warn
        self.waiting: list[tuple[SignOnBudgetExhausted, Credentials]] = []
        self.refused: AuthenticationFailed | None = None

    def attempt(self, credentials: Credentials, max_wait_seconds: float) -> SignedOn | None:
        name = credentials.account
        until = self.ledger.locked_until(name, self.clock())
        if until is not None:
            locked = AccountLocked(
                f"{name}: locked by another sign-on until {_hkt(until)} HKT (as recorded); not attempted",
                until,
            )
            self.waiting.append((locked, credentials))
            self.warn(str(locked))
            return None
        try:
            fs = self.transport(self.facility, credentials, self.known_hosts, self.governor, max_wait_seconds)
        except SignOnBudgetExhausted as exc:
            self.waiting.append((exc, credentials))
            self.warn(str(exc))
            return None
        except AuthenticationFailed as exc:
            self._attempted(credentials)
            if not self.ledger.has_signed_on(name):
                raise  # a key that never worked: not a lock, and no point trying it again
            now = self.clock()
            until = next_five_minute_mark(now) + CLOCK_MARGIN_SECONDS
            self.ledger.record_lock(self.facility.name, name, until, str(exc), now)
            self.refused = AuthenticationFailed(
                f"{exc}. This key signed on before, so the account is probably locked by another "
                f"sign-on (another workstation or client) until {_hkt(until)} HKT; cpdesk will not "
                "try it before then"
            )
            self.warn(str(self.refused))
            return None
        except FacilityError:
            self._attempted(credentials)
            raise
        self._attempted(credentials)
        return SignedOn(fs, self.facility, credentials)

    def _attempted(self, credentials: Credentials) -> None:
        if self.attempting is not None:
            self.attempting(credentials)


def _hkt(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, HKT).strftime("%H:%M:%S")
