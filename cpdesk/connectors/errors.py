"""What can go wrong outside cpdesk's own logic: the configuration, a facility, the local store.

Every error a connector raises is one of these (paramiko's, socket and SFTP errors are translated
in one place, :func:`cpdesk.connectors.sftp.errors.translated`)::

    FacilityError                      anything the desk cannot do with a facility or its files
    ├── ConfigurationError             the local configuration cannot be used (key, profile, account)
    │   ├── LedgerTooNew               (store.ledger) the ledger was written by a newer cpdesk
    │   └── InputRejected              a file or value the user gave is wrong (a key file, say)
    │       └── RegistrationRefused    (cpdesk.desk.registration) the package would be wrong
    ├── FacilityUnreachable            no address of the site accepted a connection
    ├── OutsideOperationHours          the facility is closed now; nothing was attempted
    ├── HostKeyUnknown                 the server's host key is not pinned
    ├── HostKeyChanged                 the server's host key differs from the pinned one
    ├── AuthenticationFailed           the facility refused the account and key (or it is locked)
    ├── SignOnBudgetExhausted          a sign-on now would break the sign-on control; not attempted
    │   └── AccountLocked              another sign-on locked the account; not attempted before then
    ├── UploadLimitReached             a key upload now would break the upload control; not attempted
    ├── PermissionDenied               the facility refused an operation on a folder
    ├── RemoteFileNotFound             no such file or folder on the facility
    ├── RemoteFailure                  the server answered "Failure" on a live connection
    ├── ConnectionLost                 the connection dropped (or stalled) mid-operation
    ├── LocalStoreError                cpdesk cannot write here (disk full, read-only, a path too long)
    └── SyncInProgress                 another cpdesk process holds the facility's sync lock

The command line maps each to one exit code (``cpdesk.cli.exit_codes.exit_code_for``).
"""

from __future__ import annotations


class FacilityError(Exception):
    """Base of everything that can go wrong talking to a facility or keeping its files."""


class ConfigurationError(FacilityError):
    """The local configuration cannot be used (missing key, bad profile, bad account name)."""


class InputRejected(ConfigurationError):
    """A file or value the user gave cannot be used (a key file, the registration's inputs)."""


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


class AccountLocked(SignOnBudgetExhausted):
    """The account is locked (another workstation's or client's sign-ons), as cpdesk recorded when
    a key that worked before was refused; no attempt is made before ``next_slot_at``."""


class UploadLimitReached(FacilityError):
    """Another key upload now would break the facility's upload control."""


class PermissionDenied(FacilityError):
    """The facility refused an operation on a folder ("Permission denied")."""


class RemoteFileNotFound(FacilityError):
    """No such file or folder on the facility."""


class RemoteFailure(FacilityError):
    """The server could not do what was asked and said only "Failure" (SFTP's generic status) while
    the connection stays up: a problem with that one file or folder, not with the connection."""


class ConnectionLost(FacilityError):
    """The connection dropped, or stalled past the idle timeout, during an operation."""


class LocalStoreError(FacilityError):
    """A file could not be written on this machine (disk full, no permission, name too long)."""


class SyncInProgress(FacilityError):
    """Another cpdesk process kept the facility's lock for longer than we would wait."""
