"""``cpdesk keys``: new key pairs, fingerprints, the registration package, renewal and status."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_BUDGET, EXIT_CONNECTION, EXIT_OK, fail
from cpdesk.connectors.errors import (
    ConfigurationError,
    FacilityError,
    SignOnBudgetExhausted,
    UploadLimitReached,
)
from cpdesk.connectors.sftp.profile import HKT
from cpdesk.connectors.store.keyfiles import new_key_pair, public_key_of_private, read_public_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import DEFAULT_NAME, load_config
from cpdesk.desk.registration import build_registration
from cpdesk.desk.renewal import renew_key
from cpdesk.engine.keys import standing

ACCOUNT = re.compile(r"^C[A-Z0-9]{3}00[12]$")
URGENCY_STYLE = {"ok": "green", "due": "yellow", "urgent": "bold red", "expired": "bold red reverse"}


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="SSH keys: create, fingerprint, register, renew, status")
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="generate an RSA 2048 key pair, its SSH2 public key and fingerprint")
    new.add_argument("account", help="SFTP user account, e.g. CXYZ001")
    new.add_argument("--dir", type=Path, default=Path("keys"), help="where to write (default keys/)")
    new.add_argument("--passphrase-file", type=Path, help="encrypt the private key with this passphrase")
    new.set_defaults(run=run_new)

    fingerprint = sub.add_parser("fingerprint", help="MD5 and SHA-256 fingerprints of a public key")
    fingerprint.add_argument("file", type=Path, help="RFC 4716 (SSH2) or OpenSSH public key")
    fingerprint.add_argument("--json", action="store_true")
    fingerprint.set_defaults(run=run_fingerprint)

    package = sub.add_parser("register", help="build CXXX.zip for the registration email to HKEX")
    package.add_argument("participant", help="DCASS customer code, e.g. CXYZ")
    package.add_argument("--ip", action="append", default=[], help="workstation IP address (twice)")
    package.add_argument(
        "--dir", type=Path, default=Path("keys"), help="folder holding the .pub and .fpt files"
    )
    package.add_argument("--out", type=Path, help="where to write the zip (default: --dir)")
    package.set_defaults(run=run_register)

    renew = sub.add_parser("renew", help="self-service renewal through /KEY_MANAGEMENT")
    renew.add_argument("account")
    renew.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    renew.add_argument("--dir", type=Path, help="where the new key goes (default: keys/ beside the config)")
    renew.add_argument(
        "--passphrase-file", type=Path, help="encrypt the new private key with this passphrase"
    )
    renew.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the result file")
    renew.set_defaults(run=run_renew)

    status = sub.add_parser("status", help="each account's key: validity, expiry, renewal, warnings")
    status.add_argument("--config", type=Path, default=Path(DEFAULT_NAME), metavar="FILE")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=run_status)


def _passphrase(path: Path | None) -> bytes | None:
    if path is None:
        return None
    passphrase = path.read_bytes().rstrip(b"\r\n")
    if not passphrase:
        raise ConfigurationError(f"{path} is empty")
    return passphrase


def run_new(args: argparse.Namespace) -> int:
    if not ACCOUNT.match(args.account):
        return fail("keys new", f"{args.account!r} is not an SFTP account (CXXX001 or CXXX002, capitals)")
    try:
        pair = new_key_pair(args.account, args.dir, _passphrase(args.passphrase_file))
    except (ConfigurationError, OSError) as exc:
        return fail("keys new", exc)
    encrypted = ", encrypted" if args.passphrase_file else ""
    print(f"private key  {pair.private} (mode 0600{encrypted}; keep it here)")
    print(f"public key   {pair.public} (SSH2 format, for HKEX)")
    print(f"fingerprint  {pair.fingerprint}: {pair.key.md5_fingerprint}")
    print(f"             {pair.key.sha256_fingerprint}")
    return EXIT_OK


def run_fingerprint(args: argparse.Namespace) -> int:
    try:
        key = read_public_key(args.file)
    except ConfigurationError as exc:
        return fail("keys fingerprint", exc, EXIT_BAD_INPUT)
    if args.json:
        print(
            json.dumps(
                {
                    "md5": key.md5_fingerprint,
                    "sha256": key.sha256_fingerprint,
                    "type": key.key_type,
                    "bits": key.bits,
                    "comment": key.comment,
                }
            )
        )
    else:
        print(f"MD5     {key.md5_fingerprint}")
        print(f"SHA256  {key.sha256_fingerprint.removeprefix('SHA256:')}")
        print(f"type    {key.key_type}" + (f" {key.bits} bits" if key.bits else ""))
    return EXIT_OK


def run_register(args: argparse.Namespace) -> int:
    try:
        package = build_registration(args.participant, args.dir, args.ip, args.out)
    except ConfigurationError as exc:
        return fail("keys register", exc, EXIT_BAD_INPUT)
    print(f"wrote {package.path}: {', '.join(package.members)}")
    print("email it to HKEX with the signed registration form; private keys stay on this machine")
    return EXIT_OK


def run_renew(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        passphrase = _passphrase(args.passphrase_file)
        with Ledger(config.ledger) as ledger:
            outcome = renew_key(config, args.account, ledger, args.dir, passphrase, wait_seconds=args.wait)
    except (UploadLimitReached, SignOnBudgetExhausted) as exc:
        return fail("keys renew", exc, EXIT_BUDGET)
    except ConfigurationError as exc:
        return fail("keys renew", exc)
    except FacilityError as exc:
        return fail("keys renew", exc, EXIT_CONNECTION)
    print(outcome.message, file=sys.stdout if outcome.success else sys.stderr)
    return EXIT_OK if outcome.success else EXIT_BAD_INPUT


def key_status(config_path: Path, today: date | None = None) -> list[dict[str, Any]]:
    config = load_config(config_path)
    today = today or datetime.now(HKT).date()
    rows = []
    with Ledger(config.ledger) as ledger:
        for facility in config.facilities:
            for account in facility.accounts:
                state = ledger.key_state(account.account) or {}
                row: dict[str, Any] = {
                    "facility": facility.name,
                    "account": account.account,
                    "key_file": str(account.key_path),
                }
                try:
                    passphrase = account.passphrase.encode() if account.passphrase else None
                    row["fingerprint"] = public_key_of_private(account.key_path, passphrase).md5_fingerprint
                except ConfigurationError as exc:
                    row["fingerprint"], row["problem"] = None, str(exc)
                valid_from = state.get("valid_from") or facility.registered.get(account.account)
                if isinstance(valid_from, str):
                    valid_from = date.fromisoformat(valid_from)
                if isinstance(valid_from, date):
                    position = standing(valid_from, today, bool(state.get("previous_fingerprint")))
                    row.update(
                        valid_from=valid_from.isoformat(),
                        expires_on=position.expires_on.isoformat(),
                        days_left=position.days_left,
                        urgency=position.urgency,
                        overlap_until=position.overlap_until.isoformat() if position.overlap_until else None,
                    )
                else:
                    row.update(
                        valid_from=None,
                        expires_on=state.get("warning_expires_on") or None,
                        days_left=None,
                        urgency="unknown",
                        overlap_until=None,
                    )
                row.update(
                    last_renewal=state.get("last_renewal_result") or None,
                    last_renewal_detail=state.get("last_renewal_detail") or None,
                    expiry_warning=state.get("warning_file") or None,
                )
                rows.append(row)
    return rows


def run_status(args: argparse.Namespace) -> int:
    try:
        rows = key_status(args.config)
    except ConfigurationError as exc:
        return fail("keys status", exc)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    table = Table(title="SSH keys", title_justify="left")
    for column in (
        "Account",
        "Fingerprint (MD5)",
        "Valid from",
        "Expires",
        "Days left",
        "Overlap until",
        "Last renewal",
        "Warning",
    ):
        table.add_column(column, justify="right" if column == "Days left" else "left")
    for row in rows:
        days = "?" if row["days_left"] is None else str(row["days_left"])
        table.add_row(
            row["account"],
            row["fingerprint"] or row.get("problem", "?"),
            row["valid_from"] or "?",
            row["expires_on"] or "?",
            days,
            row["overlap_until"] or "",
            row["last_renewal"] or "",
            row["expiry_warning"] or "",
            style=URGENCY_STYLE.get(row["urgency"]),
        )
    Console().print(table)
    if any(row["urgency"] == "unknown" for row in rows):
        print(
            'add `registered = "YYYY-MM-DD"` to an account in the config to track a key cpdesk did not renew'
        )
    return EXIT_OK
