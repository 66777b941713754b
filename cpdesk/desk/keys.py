"""Each account's SSH key as operations need to see it: fingerprint, validity, expiry, renewal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cpdesk.connectors.errors import ConfigurationError
from cpdesk.connectors.store.keyfiles import public_key_of_private
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import CpdeskConfig
from cpdesk.engine.keys import KeyUrgency, standing


@dataclass(frozen=True, slots=True)
class KeyStatus:
    facility: str
    account: str
    key_file: str
    fingerprint: str | None  # MD5 of the key in use; None when it cannot be read (see problem)
    problem: str | None
    valid_from: date | None  # registered or renewed
    expires_on: date | None
    days_left: int | None
    urgency: KeyUrgency
    overlap_until: date | None  # the previous key's last day, after a renewal
    last_renewal: str | None  # success, failed
    last_renewal_detail: str | None
    expiry_warning: str | None  # HKEX's SSHKeyExpireWarning file, if any

    def as_dict(self) -> dict[str, object]:
        def day(value: date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "facility": self.facility,
            "account": self.account,
            "key_file": self.key_file,
            "fingerprint": self.fingerprint,
            **({"problem": self.problem} if self.problem else {}),
            "valid_from": day(self.valid_from),
            "expires_on": day(self.expires_on),
            "days_left": self.days_left,
            "urgency": self.urgency.value,
            "overlap_until": day(self.overlap_until),
            "last_renewal": self.last_renewal,
            "last_renewal_detail": self.last_renewal_detail,
            "expiry_warning": self.expiry_warning,
        }


def key_status(config: CpdeskConfig, ledger: Ledger, today: date) -> tuple[KeyStatus, ...]:
    rows = []
    for facility in config.facilities:
        for account in facility.accounts:
            state = ledger.key_state(account.account) or {}
            fingerprint, problem = None, None
            try:
                passphrase = account.passphrase.encode() if account.passphrase else None
                fingerprint = public_key_of_private(account.key_path, passphrase).md5_fingerprint
            except ConfigurationError as exc:
                problem = str(exc)
            recorded = state.get("valid_from")
            valid_from = (
                date.fromisoformat(recorded)
                if isinstance(recorded, str) and recorded
                else facility.registered.get(account.account)
            )
            expires_on = days_left = overlap = None
            urgency = KeyUrgency.UNKNOWN
            if valid_from is not None:
                position = standing(valid_from, today, bool(state.get("previous_fingerprint")))
                expires_on, days_left = position.expires_on, position.days_left
                urgency, overlap = position.urgency, position.overlap_until
            warning = str(state.get("warning_file") or "") or None
            about = str(state.get("warning_fingerprint") or "")
            replaced = bool(warning and about and fingerprint and about != fingerprint)
            if replaced:
                # HKEX warns about a key by its fingerprint: this one is about the key replaced by
                # a renewal, not the key in use.
                warning = f"{warning} (about the replaced key {about}, not the key in use)"
            elif valid_from is None:
                warned = state.get("warning_expires_on")
                expires_on = date.fromisoformat(warned) if isinstance(warned, str) and warned else None
            rows.append(
                KeyStatus(
                    facility.name,
                    account.account,
                    str(account.key_path),
                    fingerprint,
                    problem,
                    valid_from,
                    expires_on,
                    days_left,
                    urgency,
                    overlap,
                    str(state.get("last_renewal_result") or "") or None,
                    str(state.get("last_renewal_detail") or "") or None,
                    warning,
                )
            )
    return tuple(rows)
