"""Choosing the account for a folder and signing on with it, as every upload job does."""

from __future__ import annotations

import time
from collections.abc import Callable

from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.sftp.client import Credentials, SftpSession, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import CpdeskConfig, FacilityConfig


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


def sign_on(
    config: CpdeskConfig,
    facility: FacilityConfig,
    credentials: Credentials,
    ledger: Ledger,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> SftpSession:
    """One sign-on with this account, through the ledger's sign-on governor and pinned host keys."""
    profile = facility.profile
    return open_session(
        facility.name,
        profile,
        facility.addresses,
        credentials,
        KnownHosts(config.known_hosts),
        SignOnGovernor(ledger, profile.sign_on_max, profile.sign_on_window_seconds, clock, sleep),
        facility.max_wait_seconds,
    )
