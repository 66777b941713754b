"""``cpdesk facility trust`` (pin a host key) and ``cpdesk facility serve`` (the simulated facility)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncssh

from cpdesk.cli.arguments import add_config_option
from cpdesk.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, fail
from cpdesk.connectors.sftp.hostkeys import sha256_fingerprint
from cpdesk.connectors.sftp.profile import BUILT_IN, HKT, ProfileError, TradingDays, load_profile
from cpdesk.desk import Desk
from cpdesk.engine.keys import KEY_FILE_LIMIT
from cpdesk.engine.sources import read_file
from cpdesk.simulator.day import publish_day, publish_hostile_names
from cpdesk.simulator.server import SimulatedFacility
from cpdesk.simulator.state import console_log


def register(commands: Any) -> None:
    facility = commands.add_parser("facility", help="host keys and the simulated facility")
    sub = facility.add_subparsers(dest="facility_command", metavar="ACTION", required=True)

    trust = sub.add_parser("trust", help="show a facility's host key and pin it once you confirm")
    add_config_option(trust)
    trust.add_argument("--facility", metavar="NAME", help="only this facility of the config")
    trust.add_argument(
        "--fingerprint",
        metavar="SHA256:...",
        help="confirm without a prompt: pin only a key with exactly this fingerprint",
    )
    trust.add_argument("--replace", action="store_true", help="allow replacing a pinned key that changed")
    trust.set_defaults(run=run_trust)

    serve = sub.add_parser("serve", help="run a simulated HKEX facility on this machine")
    serve.add_argument("--profile", default="derivatives", help=f"{' or '.join(BUILT_IN)} or a profile file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=2222)
    serve.add_argument("--participant", required=True, help="participant whose day is published")
    serve.add_argument(
        "--authorize",
        action="append",
        default=[],
        metavar="ACCOUNT=PUBKEY_FILE",
        help="accept this public key for this account (repeatable)",
    )
    serve.add_argument(
        "--day", type=date.fromisoformat, help="business day to publish (default: latest trading day)"
    )
    serve.add_argument("--sha1-only", action="store_true", help="sign the host key with SHA-1 ssh-rsa only")
    serve.add_argument("--hostile-names", action="store_true", help="also publish files with hostile names")
    serve.add_argument("--rpf-instruments", type=int, default=300)
    serve.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the host key, renewed keys and uploads here across restarts",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log sign-ons, uploads and answers")
    serve.set_defaults(run=run_serve)


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(prompt).strip().lower() in ("y", "yes")


def run_trust(args: argparse.Namespace) -> int:
    failures = 0
    with Desk.open(args.config) as desk:
        for check in desk.host_keys(args.facility):
            if check.key is None:
                print(f"{check.facility}: {check.problem}", file=sys.stderr)
                failures += 1
                continue
            print(f"{check.facility} {check.address}: {check.key.get_name()} {check.key.get_bits()} bits")
            print(f"  {check.sha256}\n  MD5:{check.md5}")
            if check.trusted:
                print("  already trusted")
                continue
            if check.changed and not args.replace:
                print(
                    f"  WARNING: differs from the pinned key {sha256_fingerprint(check.pinned[0])}; "
                    "not changed (use --replace once HKEX confirms a new key)",
                    file=sys.stderr,
                )
                failures += 1
                continue
            confirmed = (
                check.sha256 == args.fingerprint
                if args.fingerprint
                else _confirm("  Does this match the fingerprint HKEX gave you? Trust it [y/N] ")
            )
            if not confirmed:
                print(
                    "  not trusted" + (" (fingerprint differs)" if args.fingerprint else ""), file=sys.stderr
                )
                failures += 1
                continue
            print(f"  pinned in {desk.pin_host_key(check)}")
    return EXIT_BAD_INPUT if failures else EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    if not args.authorize:
        return fail(
            "facility serve",
            "give --authorize ACCOUNT=PUBKEY_FILE at least once: without it no one can sign on",
        )
    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        return fail("facility serve", exc)
    days = TradingDays()
    day = args.day or days.latest_on_or_before(datetime.now(HKT).date())
    try:
        facility = SimulatedFacility(profile, sha1_host_key_only=args.sha1_only, state_dir=args.state)
    except (OSError, ValueError) as exc:
        return fail("facility serve", f"--state {args.state}: {exc}")
    if not args.quiet:
        console_log(facility, lambda line: print(line, flush=True))
    for item in args.authorize:
        account, _, key_file = item.partition("=")
        try:
            facility.authorize(account, read_file(key_file, KEY_FILE_LIMIT).decode("utf-8", "replace"))
        except (OSError, ValueError, asyncssh.KeyImportError) as exc:
            return fail("facility serve", f"--authorize {item}: {exc}")
    published = publish_day(facility, args.participant, day, args.rpf_instruments)
    if args.hostile_names:
        folder = f"participant/{args.participant}/" + (
            "INBOX/" + f"{day:%Y%m%d}" if profile.facility == "securities-rap" else args.participant
        )
        published += publish_hostile_names(facility, folder)
    try:
        address = facility.start(args.host, args.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        return fail("facility serve", f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    key = facility.host_public_key()
    print(f"simulated {profile.title} on {address} ({len(published)} files for {args.participant}, {day})")
    print(f"host key {sha256_fingerprint(key)}")
    print(f"known_hosts line: [{address.host}]:{address.port} {key.get_name()} {key.get_base64()}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        facility.stop()
    return EXIT_OK
