"""``cpdesk keys``: new key pairs, fingerprints, the registration package, renewal and status."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.text import Text

from cpdesk.cli.arguments import add_config_option, add_json_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, fail
from cpdesk.cli.reporters import say_step
from cpdesk.cli.tables import WrappingTable, new_console
from cpdesk.connectors.errors import ConfigurationError
from cpdesk.desk import Desk
from cpdesk.engine.hkex import SFTP_ACCOUNT
from cpdesk.engine.keys import KEY_FILE_LIMIT, KeyUrgency
from cpdesk.engine.sources import read_file

URGENCY_WORD = {
    KeyUrgency.OK: "OK",
    KeyUrgency.DUE: "RENEW SOON",
    KeyUrgency.URGENT: "URGENT",
    KeyUrgency.EXPIRED: "EXPIRED",
    KeyUrgency.UNKNOWN: "UNKNOWN (no registration date)",
}
URGENCY_STYLE = {
    KeyUrgency.OK: "green",
    KeyUrgency.DUE: "yellow",
    KeyUrgency.URGENT: "bold red",
    KeyUrgency.EXPIRED: "bold red reverse",
}


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
    add_json_option(fingerprint)
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
    add_config_option(renew)
    renew.add_argument("--dir", type=Path, help="where the new key goes (default: keys/ beside the config)")
    renew.add_argument(
        "--passphrase-file", type=Path, help="encrypt the new private key with this passphrase"
    )
    renew.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the result file")
    renew.set_defaults(run=run_renew)

    status = sub.add_parser("status", help="each account's key: validity, expiry, renewal, warnings")
    add_config_option(status)
    add_json_option(status)
    status.set_defaults(run=run_status)


def _passphrase(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        passphrase = read_file(path, KEY_FILE_LIMIT).rstrip(b"\r\n")
    except OSError as exc:
        raise ConfigurationError(f"{path}: {exc.strerror or exc}") from None
    if not passphrase:
        raise ConfigurationError(f"{path} is empty")
    return passphrase


def run_new(args: argparse.Namespace) -> int:
    if not SFTP_ACCOUNT.fullmatch(args.account):
        return fail(
            "keys new",
            f"{args.account!r} is not an SFTP account: CXXX001 or CXXX002 for derivatives, the CCASS "
            "id (e.g. B01234) for RAP, in capitals",
        )
    try:
        pair = Desk.new_key_pair(args.account, args.dir, _passphrase(args.passphrase_file))
    except OSError as exc:
        return fail("keys new", exc)
    encrypted = ", encrypted" if args.passphrase_file else ""
    print(f"private key  {pair.private} (mode 0600{encrypted}; keep it here)")
    print(f"public key   {pair.public} (SSH2 format, for HKEX)")
    print(f"fingerprint  {pair.fingerprint}: {pair.key.md5_fingerprint}")
    print(f"             {pair.key.sha256_fingerprint}")
    return EXIT_OK


def run_fingerprint(args: argparse.Namespace) -> int:
    key = Desk.read_public_key(args.file)
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
    package = Desk.register_keys(args.participant, args.dir, args.ip, args.out)
    print(f"wrote {package.path}: {', '.join(package.members)}")
    print("email it to HKEX with the signed registration form; private keys stay on this machine")
    return EXIT_OK


def run_renew(args: argparse.Namespace) -> int:
    passphrase = _passphrase(args.passphrase_file)
    with Desk.open(args.config) as desk:
        outcome = desk.renew_key(args.account, args.dir, passphrase, args.wait, steps=say_step)
    print(outcome.message, file=sys.stdout if outcome.success else sys.stderr)
    return EXIT_OK if outcome.success else EXIT_BAD_INPUT


def run_status(args: argparse.Namespace) -> int:
    with Desk.open(args.config) as desk:
        rows = desk.key_status()
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
        return EXIT_OK
    console = new_console()
    for row in rows:
        # One record per account, field by field: a fingerprint (47 characters) stays whole at 80
        # columns, and each status is a word as well as a colour.
        style = URGENCY_STYLE.get(row.urgency)
        table = WrappingTable(title=f"{row.account} ({row.facility})", show_header=False, box=None)
        table.add_column("field", style="bold")
        table.add_column("value")
        table.add_row("Fingerprint (MD5)", row.fingerprint or row.problem or "?")
        table.add_row("Key file", row.key_file)
        table.add_row("Status", Text(URGENCY_WORD[row.urgency], style=style or ""))
        table.add_row("Valid from", row.valid_from.isoformat() if row.valid_from else "?")
        expires = row.expires_on.isoformat() if row.expires_on else "?"
        if row.days_left is not None:
            expires += f" ({row.days_left} days left)"
        table.add_row("Expires", expires)
        if row.overlap_until:
            table.add_row("Previous key works until", row.overlap_until.isoformat())
        if row.last_renewal:
            table.add_row("Last renewal", f"{row.last_renewal}: {row.last_renewal_detail or ''}".rstrip(": "))
        if row.expiry_warning:
            table.add_row("HKEX warning", row.expiry_warning)
        console.print(table)
        console.print()
    if any(row.urgency is KeyUrgency.UNKNOWN for row in rows):
        print(
            'add `registered = "YYYY-MM-DD"` to an account in the config to track a key cpdesk did not renew'
        )
    return EXIT_OK
