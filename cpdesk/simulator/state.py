"""What a simulated facility keeps across restarts (``cpdesk facility serve --state DIR``) and what
it says on its console.

Kept: its host key (so a client's pinned key stays right), every account's keys with their
validity (a renewal survives a restart) and what clients uploaded, with the facility's answers
(key renewal and LOP result files). The published trading day is made again at each start.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import asyncssh

from cpdesk.fileio import write_atomically
from cpdesk.simulator.events import UploadEvent

if TYPE_CHECKING:
    from cpdesk.simulator.server import SimulatedFacility

HOST_KEY = "ssh_host_rsa_key"
ACCOUNTS = "accounts.json"
FILES = "files.json"


def host_key(folder: Path) -> asyncssh.SSHKey:
    """The facility's host key kept in ``folder`` (made on the first start, mode 0600)."""
    path = folder / HOST_KEY
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(path, key.export_private_key("openssh"), overwrite=False, mode=0o600)
    return key


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def save(facility: SimulatedFacility, folder: Path) -> None:
    """Write the accounts' keys and the uploaded and answered files (after every change)."""
    with facility.lock:
        accounts = {
            account: [
                {
                    "key": entry.key.export_public_key("openssh").decode().strip(),
                    "valid_from": _moment(entry.valid_from),
                    "valid_until": _moment(entry.valid_until),
                }
                for entry in entries
            ]
            for account, entries in facility.accounts.items()
        }
        files = [
            {
                "folder": folder_name,
                "name": name,
                "content": base64.b64encode(stored.content).decode(),
                "mtime": stored.mtime.isoformat(),
            }
            for folder_name, name, stored in facility.store.kept()
        ]
    write_atomically(folder / ACCOUNTS, json.dumps(accounts, indent=1).encode())
    write_atomically(folder / FILES, json.dumps(files).encode())


def load(facility: SimulatedFacility, folder: Path) -> None:
    """Restore what :func:`save` wrote (nothing on a first start)."""
    accounts_path, files_path = folder / ACCOUNTS, folder / FILES
    if accounts_path.exists():
        for account, entries in json.loads(accounts_path.read_text()).items():
            for entry in entries:
                facility.authorize(
                    account, entry["key"], _from(entry["valid_from"]), _from(entry["valid_until"])
                )
    if files_path.exists():
        for item in json.loads(files_path.read_text()):
            facility.store.put(
                item["folder"],
                item["name"],
                base64.b64decode(item["content"]),
                _from(item["mtime"]),
                keep=True,
            )


def console_log(facility: SimulatedFacility, say: Callable[[str], None]) -> None:
    """Tell ``say`` of every sign-on, lock, upload and answer, as they happen."""

    def signed_on(_: SimulatedFacility, account: str) -> None:
        say(f"{facility.clock():%H:%M:%S} sign-on {account}: accepted")

    def uploaded(_: SimulatedFacility, event: UploadEvent) -> None:
        say(
            f"{event.at:%H:%M:%S} upload /{event.folder}/{event.name} by {event.account}: "
            f"{len(event.content):,} bytes"
        )

    facility.sign_on_hooks.append(signed_on)
    facility.upload_hooks.append(uploaded)
    facility.refusal_hooks.append(
        lambda _, account, reason: say(f"{facility.clock():%H:%M:%S} sign-on {account}: refused ({reason})")
    )
    facility.store.written_hooks.append(
        lambda folder, name: say(f"{facility.clock():%H:%M:%S} wrote /{folder}/{name}")
    )
