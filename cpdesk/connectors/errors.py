"""Named failures of a facility connection, translated from paramiko and socket errors in one place."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

import paramiko


class FacilityError(Exception):
    """Base of everything that can go wrong talking to a facility."""


class ConfigurationError(FacilityError):
    """The local configuration cannot be used (missing key, bad profile, bad account name)."""


class FacilityUnreachable(FacilityError):
    """No address of the site accepted a connection."""


class OutsideOperationHours(FacilityError):
    """The facility is closed now (07:30 to 03:30 on trading days for derivatives)."""


class HostKeyUnknown(FacilityError):
    """The server's host key is not in known_hosts: run ``cpdesk facility trust`` first."""


class HostKeyChanged(FacilityError):
    """The server's host key differs from the pinned one. Possibly an attack; never connects."""


class AuthenticationFailed(FacilityError):
    """The facility refused the account and key (or the account is locked)."""


class SignOnBudgetExhausted(FacilityError):
    """A sign-on now would be the sixth within five minutes; cpdesk does not make it."""

    def __init__(self, message: str, next_slot_at: float) -> None:
        super().__init__(message)
        self.next_slot_at = next_slot_at


class PermissionDenied(FacilityError):
    """The facility refused an operation on a folder ("Permission denied")."""


class RemoteFileNotFound(FacilityError):
    pass


class ConnectionLost(FacilityError):
    """The connection dropped during a transfer."""


class UploadLimitReached(FacilityError):
    """Another key upload now would break the facility's upload control."""


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Re-raise paramiko, SFTP and socket errors raised inside as the named errors above."""
    try:
        yield
    except FacilityError:
        raise
    except paramiko.BadHostKeyException as exc:
        raise HostKeyChanged(f"{what}: host key changed") from exc
    except paramiko.AuthenticationException as exc:
        raise AuthenticationFailed(f"{what}: authentication failed ({exc})") from exc
    except PermissionError as exc:
        raise PermissionDenied(f"{what}: permission denied") from exc
    except FileNotFoundError as exc:
        raise RemoteFileNotFound(f"{what}: no such file") from exc
    except (TimeoutError, EOFError, paramiko.SSHException, ConnectionError) as exc:
        raise ConnectionLost(f"{what}: connection lost ({exc or type(exc).__name__})") from exc
    except OSError as exc:
        if exc.errno == errno.EACCES or "permission denied" in str(exc).lower():
            raise PermissionDenied(f"{what}: permission denied") from exc
        if exc.errno == errno.ENOENT or "no such file" in str(exc).lower():
            raise RemoteFileNotFound(f"{what}: no such file") from exc
        raise ConnectionLost(f"{what}: {exc}") from exc
