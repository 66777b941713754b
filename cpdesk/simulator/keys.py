"""The simulated facility's key management (seed 000 §6): self-service renewal and expiry notices.

An upload of ``<account>.pub`` to /KEY_MANAGEMENT is imported at once: a valid RFC 4716 RSA 2048
key succeeds and is valid immediately, the account's previous keys stop working 14 days later and
the new key 730 days after the renewal; anything else fails with a reason. Either way a result
file ``Result.yyyymmdd.hhmmss.success.txt`` / ``.failed.txt`` appears and the uploaded key file is
consumed. More than five key uploads within an hour, or 120 in a day, is "Permission denied".
During a key's last 14 days a ``SSHKeyExpireWarning_yyyymmdd.txt`` is written each day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from cpdesk.connectors.sftp.profile import HKT
from cpdesk.engine.hkex import KEY_FOLDER
from cpdesk.engine.keys import (
    HKEX_WARNING_DAYS,
    OVERLAP_DAYS,
    VALIDITY_DAYS,
    KeyFormatError,
    check_registrable,
    parse_public_key,
)
from cpdesk.simulator.events import UploadEvent

if TYPE_CHECKING:
    from cpdesk.simulator.server import SimulatedFacility

FOLDER = KEY_FOLDER


def _midnight(day: datetime, days_later: int) -> datetime:
    return datetime.combine(day.astimezone(HKT).date() + timedelta(days=days_later), time(0), HKT)


def key_folder(account: str) -> str:
    return f"account/{account}/{FOLDER}"


def upload_guard(facility: SimulatedFacility, event: UploadEvent) -> str | None:
    """The frequent upload control (§6.3): 5 key uploads an hour, 120 a day, per account."""
    if event.folder != FOLDER:
        return None
    earlier = [u.at for u in facility.upload_attempts if u.account == event.account and u.folder == FOLDER]
    if (
        sum(1 for at in earlier if at > event.at - timedelta(hours=1))
        >= facility.profile.key_uploads_per_hour
    ):
        return "key upload blocked: five keys uploaded within one hour"
    if sum(1 for at in earlier if at.date() == event.at.date()) >= facility.profile.key_uploads_per_day:
        return "key upload blocked: daily upload limit reached"
    return None


def import_key(facility: SimulatedFacility, event: UploadEvent) -> None:
    if event.folder != FOLDER or event.name.startswith(("Result.", "SSHKeyExpireWarning")):
        return
    facility.store.remove(event.store_folder, event.name)  # the key file is consumed by the import
    reason = facility.faults.reject_key_imports
    if reason is not None:
        pass
    elif event.name != f"{event.account}.pub":
        reason = f"file name must be {event.account}.pub"
    else:
        try:
            key = parse_public_key(event.content.decode("utf-8", errors="replace"))
        except KeyFormatError as exc:
            reason = f"invalid public key: {exc}"
        else:
            reason = check_registrable(key)
            if reason is None and event.content.lstrip()[:4] != b"----":
                reason = "public key is not in SSH2 (RFC 4716) format"
    if reason is None:
        with facility.lock:
            for entry in facility.accounts.get(event.account, []):
                end = _midnight(event.at, OVERLAP_DAYS)
                if entry.valid_until is None or entry.valid_until > end:
                    entry.valid_until = end
        facility.authorize(
            event.account,
            key.openssh(),
            valid_from=event.at,
            valid_until=_midnight(event.at, VALIDITY_DAYS + 1),
        )
    outcome = "success" if reason is None else "failed"
    lines = [
        "=" * 56,
        f"= File name:      {event.name}",
        f"= Import date:    {event.at:%Y.%m.%d %H:%M:%S}",
        f"= File size:      {len(event.content)}",
        "=" * 56,
        f"Result: {'Success' if reason is None else 'Failed'}",
    ]
    if reason is not None:
        lines.append(f"Error reason: {reason}")
    name = f"Result.{event.at:%Y%m%d.%H%M%S}.{outcome}.txt"
    facility.store.put(
        event.store_folder, name, ("\n".join(lines) + "\n").encode(), mtime=event.at, keep=True
    )


def expiry_warnings(facility: SimulatedFacility, account: str) -> None:
    """Today's SSHKeyExpireWarning for ``account`` when a key of it expires within 14 days."""
    now = facility.clock()
    with facility.lock:
        keys = list(facility.accounts.get(account, []))
    expiring = [
        k
        for k in keys
        if k.valid_at(now)
        and k.valid_until is not None
        and k.valid_until - now <= timedelta(days=HKEX_WARNING_DAYS)
    ]
    name = f"SSHKeyExpireWarning_{now:%Y%m%d}.txt"
    if not expiring or facility.store.get(key_folder(account), name) is not None:
        return
    lines = [f"SSH key expiry warning for SFTP user account {account}"]
    for key in expiring:
        assert key.valid_until is not None
        last_day = (key.valid_until - timedelta(seconds=1)).date()
        lines.append(
            f"Key {key.fingerprint} expires on {last_day:%Y-%m-%d}; renew it before then (section 6)."
        )
    facility.store.put(key_folder(account), name, ("\n".join(lines) + "\n").encode(), mtime=now)


def install(facility: SimulatedFacility) -> None:
    facility.upload_guards.append(upload_guard)
    facility.upload_hooks.append(import_key)
    facility.sign_on_hooks.append(expiry_warnings)
