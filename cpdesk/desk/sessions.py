"""One way to sign on, for every job (sync, LOP upload and results, key renewal).

:func:`sign_on` checks the facility's operation hours, chooses the account (the named one, or the
first with sign-on budget left), and opens the connection through the sign-on governor with the
pinned host keys. How the connection is made is a :class:`Transport`: paramiko's SFTP client for
the real facility, an in-memory file system in fast tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cpdesk.connectors.errors import (
    ConfigurationError,
    FacilityError,
    OutsideOperationHours,
    SignOnBudgetExhausted,
)
from cpdesk.connectors.sftp.client import Credentials, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor, SignOnRecord
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.desk.config import CpdeskConfig, FacilityConfig
from cpdesk.engine.calendar import HKT


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


def sign_on(
    config: CpdeskConfig,
    facility: FacilityConfig,
    record: SignOnRecord,
    *,
    account: Credentials | None = None,
    transport: Transport = sftp_transport,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    attempting: Callable[[Credentials], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> SignedOn:
    """One sign-on to ``facility``: with ``account``, or with the first of its accounts that still
    has sign-on budget (the last one waits up to ``max_wait_seconds`` for a slot).

    ``attempting`` hears of each account an attempt is made with; ``warn`` of each account skipped
    for want of budget. Raises :class:`OutsideOperationHours` before anything is spent, the last
    :class:`SignOnBudgetExhausted` when no account has budget, or what the transport raised."""
    check_hours(config, facility, clock())
    profile = facility.profile
    governor = SignOnGovernor(record, profile.sign_on_max, profile.sign_on_window_seconds, clock, sleep)
    known_hosts = KnownHosts(config.known_hosts)
    candidates = (account,) if account is not None else facility.accounts
    exhausted: SignOnBudgetExhausted | None = None
    for number, credentials in enumerate(candidates):
        last = number == len(candidates) - 1
        try:
            fs = transport(
                facility, credentials, known_hosts, governor, facility.max_wait_seconds if last else 0.0
            )
        except SignOnBudgetExhausted as exc:
            exhausted = exc
            if warn is not None:
                warn(str(exc))
            continue
        except FacilityError:
            if attempting is not None:
                attempting(credentials)
            raise
        if attempting is not None:
            attempting(credentials)
        return SignedOn(fs, facility, credentials)
    if exhausted is None:
        raise ConfigurationError(f"{facility.name}: no accounts")
    raise exhausted
