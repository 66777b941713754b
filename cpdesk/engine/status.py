"""Every status cpdesk records or reports, as one ``StrEnum`` each: stored in the ledger and
printed in JSON by value, so ``"verified"`` in a ledger file, a test and a dashboard is the same
member. (:class:`cpdesk.engine.keys.KeyUrgency` is the key's.)"""

from __future__ import annotations

from enum import StrEnum


class SyncStatus(StrEnum):
    """How a facility's sync ended, most serious first (the command's exit code follows the worst)."""

    CONFIG = "config"  # the configuration cannot be used
    CONNECTION = "connection"  # no connection (unreachable, hours, host key, authentication, lock)
    BUDGET = "budget"  # a sign-on now would break the sign-on control
    PARTIAL = "partial"  # some files failed or were cut off
    OK = "ok"
    NOTHING_NEW = "nothing-new"

    @property
    def severity(self) -> int:
        """0 for the most serious; the order above."""
        return list(SyncStatus).index(self)


class FileResult(StrEnum):
    """What became of one remote file in a sync."""

    VERIFIED = "verified"  # archived and every check passed
    FAILED = "failed"  # archived, a check failed
    INTERRUPTED = "interrupted"  # the transfer stopped; the partial file resumes next run
    REFUSED = "refused"  # the server would not serve it (permission, "Failure"); tried again next run
    GONE = "gone"  # removed from the server between the listing and the download
    CHANGING = "changing"  # still being written on the server; fetched once it stops changing
    WOULD_DOWNLOAD = "would-download"  # a dry run


class SignOnOutcome(StrEnum):
    """One sign-on attempt, as the governor records it."""

    PENDING = "pending"  # reserved, not finished (a running or killed process)
    OK = "ok"
    REFUSED = "refused"  # authentication refused (or the account is locked)
    ERROR = "error"  # reached the server, failed otherwise
    RELEASED = "released"  # never reached the server: does not count against the control


class UploadResult(StrEnum):
    """One upload (a key or a LOP report), as the ledger records it."""

    PENDING = "pending"  # claimed, not yet sent
    RELEASED = "released"  # never sent: the name is free again
    REFUSED = "refused"  # the facility refused the upload ("Permission denied")
    SENT = "sent"  # sent (or interrupted mid-way); the result file is awaited
    SUCCESS = "success"  # HKEX's result file says accepted
    FAILED = "failed"  # HKEX's result file says rejected


class UploadKind(StrEnum):
    KEY = "key"
    LOP = "lop"


class LopOutcome(StrEnum):
    """What became of one LOP report given to ``upload``: never sent, or its upload's result."""

    INVALID = "invalid"  # failed validation: never sent
    UNREADABLE = "unreadable"
    DUPLICATE = "duplicate"  # the name was sent before (or named twice)
    NOT_SENT = "not-sent"  # the connection failed before its turn
    PENDING = "pending"
    REFUSED = "refused"
    SENT = "sent"
    SUCCESS = "success"
    FAILED = "failed"


class RenewalStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
