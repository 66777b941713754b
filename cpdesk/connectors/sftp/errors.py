"""The one place paramiko, SFTP and socket errors become cpdesk's named errors."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paramiko

from cpdesk.connectors.errors import (
    AuthenticationFailed,
    ConnectionLost,
    FacilityError,
    HostKeyChanged,
    PermissionDenied,
    RemoteFailure,
    RemoteFileNotFound,
)


@contextmanager
def translated(what: str, alive: Callable[[], bool] | None = None) -> Iterator[None]:
    """Re-raise paramiko, SFTP and socket errors raised inside as :mod:`cpdesk.connectors.errors`.

    SFTP's generic "Failure" status arrives as an OSError without an errno; while ``alive()`` says
    the connection is up it is a :class:`RemoteFailure` of that one operation, not a lost
    connection (a folder that is a link, a name the server cannot create)."""
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
    except paramiko.SFTPError as exc:  # garbage where an SFTP answer belongs: the session is unusable
        raise ConnectionLost(f"{what}: the server broke the SFTP protocol ({exc})") from exc
    except (TimeoutError, EOFError, paramiko.SSHException, ConnectionError) as exc:
        raise ConnectionLost(f"{what}: connection lost ({exc or type(exc).__name__})") from exc
    except OSError as exc:
        if exc.errno == errno.EACCES or "permission denied" in str(exc).lower():
            raise PermissionDenied(f"{what}: permission denied") from exc
        if exc.errno == errno.ENOENT or "no such file" in str(exc).lower():
            raise RemoteFileNotFound(f"{what}: no such file") from exc
        if exc.errno is None and alive is not None and alive():
            raise RemoteFailure(f"{what}: the server answered {exc}") from exc
        raise ConnectionLost(f"{what}: {exc}") from exc
