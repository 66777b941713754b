"""The registration package HKEX asks for by email (seed 000 §5): ``CXXX.zip`` holding the IP
address template, both public keys (``.pub``) and both fingerprints (``.fpt``) — never a private key.
"""

from __future__ import annotations

import io
import ipaddress
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from cpdesk.connectors.errors import InputRejected
from cpdesk.connectors.store.localfiles import write_new_file
from cpdesk.engine.hkex import ACCOUNT_SUFFIXES, PARTICIPANT_CODE
from cpdesk.engine.keys import (
    KEY_FILE_LIMIT,
    MD5_FINGERPRINT,
    KeyFormatError,
    check_registrable,
    looks_private,
    parse_public_key,
)
from cpdesk.engine.sources import read_file


class RegistrationRefused(InputRejected):
    """The package would be wrong; every reason is listed."""


@dataclass(frozen=True, slots=True)
class RegistrationPackage:
    path: Path
    members: tuple[str, ...]


def _template(participant: str, ips: list[str], accounts: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "IP address template"
    sheet.append(["HKEX Report Retrieval Solution: SFTP registration"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["DCASS customer code", participant])
    sheet.append([])
    sheet.append(["Designated SFTP client workstation", "IP address"])
    for number, ip in enumerate(ips, start=1):
        sheet.append([f"Workstation {number}", ip])
    sheet.append([])
    sheet.append(["SFTP user account", "Public key file", "Public key fingerprint file"])
    for account in accounts:
        sheet.append([account, f"{account}.pub", f"{account}.fpt"])
    for column, width in zip("ABC", (36, 20, 30), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _not_a_workstation(address: ipaddress.IPv4Address) -> str | None:
    """Why an address cannot be a workstation HKEX would see connecting, or None."""
    for test, what in (
        (address.is_loopback, "a loopback address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_reserved, "a reserved address"),
        (address == ipaddress.IPv4Address("255.255.255.255"), "the broadcast address"),
        (int(address) & 0xFF in (0, 255), "a network or broadcast address of its /24"),
    ):
        if test:
            return what
    return None


def _check_ips(ips: list[str]) -> list[str]:
    problems = []
    if len(ips) != 2:
        return [f"give exactly two workstation IP addresses (--ip twice), not {len(ips)}"]
    parsed = []
    for ip in ips:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            problems.append(f"{ip!r} is not an IPv4 address")
            continue
        why = _not_a_workstation(address)
        if why:
            problems.append(f"{ip} is {why}, not a workstation's address")
        else:
            parsed.append(address)
    if len(parsed) == 2:
        if parsed[0] == parsed[1]:
            problems.append("the two workstation IP addresses are the same")
        elif ipaddress.IPv4Network(f"{parsed[0]}/24", strict=False) != ipaddress.IPv4Network(
            f"{parsed[1]}/24", strict=False
        ):
            problems.append(f"{ips[0]} and {ips[1]} are not in the same subnet (first 3 octets, guide §7)")
    return problems


def build_registration(
    participant: str, folder: Path, ips: list[str], out: Path | None = None
) -> RegistrationPackage:
    """Check everything, then write ``CXXX.zip`` in one step (never half a file, never over one)."""
    if not PARTICIPANT_CODE.fullmatch(participant):
        raise RegistrationRefused(f"{participant!r} is not a DCASS customer code (CXXX, capital letters)")
    target = (out or folder) / f"{participant}.zip"
    problems = _check_ips(ips)
    if target.exists():
        problems.append(f"{target} already exists; not overwritten")
    accounts = [participant + suffix for suffix in ACCOUNT_SUFFIXES]
    members: dict[str, bytes] = {}
    for account in accounts:
        public, fingerprint = folder / f"{account}.pub", folder / f"{account}.fpt"
        missing = [p.name for p in (public, fingerprint) if not p.exists() and not p.is_symlink()]
        if missing:
            problems.append(
                f"{', '.join(missing)} missing in {folder} (create with `cpdesk keys new {account}`)"
            )
            continue
        try:
            public_text = read_file(public, KEY_FILE_LIMIT).decode("utf-8", errors="replace")
            fingerprint_raw = read_file(fingerprint, KEY_FILE_LIMIT).decode("utf-8", errors="replace")
        except OSError as exc:
            problems.append(str(exc))
            continue
        fingerprint_text = fingerprint_raw.strip().lower()
        if looks_private(public_text) or looks_private(fingerprint_raw):  # before any case change
            problems.append(
                f"{account}: a private key is in {public.name} or {fingerprint.name}; never send it"
            )
            continue
        try:
            key = parse_public_key(public_text)
        except KeyFormatError as exc:
            problems.append(f"{public.name}: {exc}")
            continue
        why = check_registrable(key)
        if why:
            problems.append(f"{public.name}: {why}")
        if not MD5_FINGERPRINT.fullmatch(fingerprint_text):
            # Never echo what the file holds: it could be anything, a key included.
            problems.append(
                f"{fingerprint.name} does not hold an MD5 fingerprint (16 hex octets with colons)"
            )
        elif fingerprint_text != key.md5_fingerprint:
            problems.append(
                f"{fingerprint.name} says {fingerprint_text} but {public.name} has {key.md5_fingerprint}"
            )
        members[public.name] = public_text.encode()
        members[fingerprint.name] = (fingerprint_text + "\n").encode()
    if problems:
        raise RegistrationRefused("; ".join(problems))
    members[f"{participant}_IP_address_template.xlsx"] = _template(participant, ips, accounts)
    for name, content in members.items():  # belt and braces: the bytes themselves, not the names
        if name.endswith((".pub", ".fpt")) and looks_private(content.decode("utf-8", errors="replace")):
            raise RegistrationRefused(f"{name} holds private key material; not packaged")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(members.items()):
            archive.writestr(name, content)
    try:
        write_new_file(target, buffer.getvalue())
    except FileExistsError as exc:
        raise RegistrationRefused(str(exc)) from None
    except OSError as exc:  # --out missing, a file, or not writable
        raise RegistrationRefused(f"cannot write {target}: {exc.strerror or exc}") from None
    return RegistrationPackage(target, tuple(sorted(members)))
