"""A simulated HKEX SFTP facility: a real SSH server (asyncssh) on loopback that follows a profile.

It offers only the profile's algorithms (optionally only SHA-1 ``ssh-rsa`` host-key signatures),
knows accounts and their public keys, enforces folder permissions with "Permission denied",
locks an account at its sixth sign-on within five minutes until the next five-minute mark,
keeps operation hours, purges files ten days after generation, and runs on an injectable clock.
Faults can be injected: drop the connection after N bytes, refuse logins, hostile file names.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import asyncssh
import asyncssh.encryption
import asyncssh.kex
import asyncssh.mac
import paramiko

from cpdesk.connectors.sftp.profile import HKT, Address, FacilityProfile, TradingDays
from cpdesk.engine.keys import md5_fingerprint_of
from cpdesk.simulator import keys as key_management
from cpdesk.simulator import lop as lop_results
from cpdesk.simulator import state as kept
from cpdesk.simulator.events import UploadEvent
from cpdesk.simulator.sftp import FacilitySftp
from cpdesk.simulator.store import VirtualStore


@dataclass
class AuthorizedKey:
    key: asyncssh.SSHKey
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # exclusive

    @property
    def fingerprint(self) -> str:
        """MD5, as HKEX prints fingerprints."""
        return md5_fingerprint_of(self.key.public_data)

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or moment >= self.valid_from) and (
            self.valid_until is None or moment < self.valid_until
        )


@dataclass
class Faults:
    refuse_logins: bool = False
    drop_after_bytes: int | None = None  # one-shot: cleared once the connection is dropped
    reject_key_imports: str | None = None  # a reason: every key import fails with it
    fail_lop_reports: bool = False  # every LOP report gets "Result: Failed"
    drop_upload_after_bytes: int | None = None  # one-shot, like drop_after_bytes, for uploads
    stall_after_bytes: int | None = None  # one-shot: the connection goes silent (never answers again)
    fail_reads: set[str] = field(default_factory=set)  # names whose open answers SFTP "Failure"
    grow_on_read: set[str] = field(default_factory=set)  # names that grow by a record when first read
    short_reads: int | None = None  # every read answers at most this many bytes (as SFTP allows)
    oversized_reads: bool = False  # every read answers more bytes than asked for (a broken server)


@dataclass(frozen=True, slots=True)
class SignOn:
    at: datetime
    account: str
    accepted: bool
    reason: str


SignOnHook = Callable[["SimulatedFacility", str], None]  # runs at each accepted sign-on
UploadHook = Callable[["SimulatedFacility", UploadEvent], None]
UploadGuard = Callable[["SimulatedFacility", UploadEvent], str | None]  # a reason to refuse, or None


def next_five_minute_mark(moment: datetime) -> datetime:
    """12:47:31 -> 12:50:00; 12:50:00 -> 12:55:00."""
    floored = moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)
    return floored + timedelta(minutes=5)


@dataclass
class _AccountState:
    attempts: deque[datetime] = field(default_factory=deque)
    locked_until: datetime | None = None


class SimulatedFacility:
    def __init__(
        self,
        profile: FacilityProfile,
        clock: Callable[[], datetime] | None = None,
        trading_days: TradingDays | None = None,
        sha1_host_key_only: bool = False,
        host_key: asyncssh.SSHKey | None = None,
        state_dir: Path | None = None,
    ) -> None:
        """``state_dir`` keeps the host key, the accounts' keys and the uploads across restarts."""
        self.profile = profile
        self.clock = clock or (lambda: datetime.now(HKT))
        self.trading_days = trading_days or TradingDays()
        self.sha1_host_key_only = sha1_host_key_only
        self.state_dir = state_dir
        self.host_key = host_key or (
            kept.host_key(state_dir) if state_dir else asyncssh.generate_private_key("ssh-rsa", key_size=2048)
        )
        self.store = VirtualStore(self.clock)
        self.accounts: dict[str, list[AuthorizedKey]] = {}
        self.faults = Faults()
        self.sign_ons: list[SignOn] = []
        self.upload_hooks: list[UploadHook] = []
        self.upload_guards: list[UploadGuard] = []
        self.sign_on_hooks: list[SignOnHook] = []
        self.refusal_hooks: list[Callable[[SimulatedFacility, str, str], None]] = []  # account, reason
        self.upload_attempts: list[UploadEvent] = []  # every upload started (no content)
        self.uploads: list[UploadEvent] = []  # every upload completed, with its content
        self._state: dict[str, _AccountState] = {}
        self.lock = threading.RLock()
        key_management.install(self)
        lop_results.install(self)
        if state_dir is not None:
            kept.load(self, state_dir)
            self.upload_hooks.append(lambda facility, event: kept.save(facility, state_dir))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncssh.SSHAcceptor | None = None
        self.address: Address | None = None

    # -- accounts and keys -----------------------------------------------------------------

    def authorize(
        self,
        account: str,
        public_key: str,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> AuthorizedKey:
        """Accept ``public_key`` (OpenSSH or RFC 4716 text) for ``account`` (a key already there
        for the account is not added twice: a restart with ``--state`` authorizes again)."""
        problem = self.profile.check_account(account)
        if problem:
            raise ValueError(problem)
        entry = AuthorizedKey(asyncssh.import_public_key(public_key), valid_from, valid_until)
        with self.lock:
            known = self.accounts.setdefault(account, [])
            for existing in known:
                if existing.key.public_data == entry.key.public_data:
                    return existing
            known.append(entry)
        return entry

    def participant_of(self, account: str) -> str:
        return self.profile.participant_of(account)

    def host_public_key(self) -> paramiko.PKey:
        line = self.host_key.export_public_key("openssh").decode()
        kind, blob = line.split()[:2]
        return paramiko.PKey.from_type_string(kind, base64.b64decode(blob))

    # -- sign-on control -------------------------------------------------------------------

    def sign_on(self, account: str) -> str | None:
        """Count a sign-on attempt; the reason it is refused, or None when it may proceed."""
        now = self.clock()
        with self.lock:
            state = self._state.setdefault(account, _AccountState())
            if state.locked_until is not None and now >= state.locked_until:
                state.locked_until = None  # "automatically unlock for every 5 minutes": a fresh count
                state.attempts.clear()
            while state.attempts and state.attempts[0] <= now - timedelta(
                seconds=self.profile.sign_on_window_seconds
            ):
                state.attempts.popleft()
            reason = None
            if account not in self.accounts:
                reason = "unknown account"
            elif self.faults.refuse_logins:
                reason = "logins refused (fault injected)"
            elif not self.profile.is_open(now, self.trading_days):
                reason = "outside operation hours"
            elif state.locked_until is not None and now < state.locked_until:
                reason = f"account locked until {state.locked_until:%H:%M:%S}"
            elif len(state.attempts) >= self.profile.sign_on_max:
                state.locked_until = next_five_minute_mark(now)
                reason = f"sixth sign-on within five minutes: locked until {state.locked_until:%H:%M:%S}"
            if reason is None or reason.startswith("sixth"):
                state.attempts.append(now)
            self.sign_ons.append(SignOn(now, account, reason is None, reason or "ok"))
        if reason is None:
            for hook in self.sign_on_hooks:
                hook(self, account)
        else:
            for refused in self.refusal_hooks:
                refused(self, account, reason)
        return reason

    def key_accepted(self, account: str, key: asyncssh.SSHKey) -> bool:
        now = self.clock()
        with self.lock:
            entries = list(self.accounts.get(account, []))
        return any(e.key.public_data == key.public_data and e.valid_at(now) for e in entries)

    # -- uploads ---------------------------------------------------------------------------

    def refuse_upload(self, attempt: UploadEvent) -> str | None:
        """An upload is starting: a guard's reason to refuse it, or None. Every attempt counts
        towards the upload controls, refused or not (guide §6.3)."""
        reason = next((r for guard in self.upload_guards if (r := guard(self, attempt))), None)
        with self.lock:
            self.upload_attempts.append(attempt)
        return reason

    def uploaded(self, event: UploadEvent) -> None:
        with self.lock:
            self.uploads.append(event)
        for hook in self.upload_hooks:
            hook(self, event)

    # -- serving ---------------------------------------------------------------------------

    def _keypair(self) -> asyncssh.SSHKeyPair:
        keypair = asyncssh.load_keypairs([self.host_key])[0]
        algs = [b"ssh-rsa"] if self.sha1_host_key_only else [b"rsa-sha2-512", b"rsa-sha2-256", b"ssh-rsa"]
        keypair.host_key_algorithms = algs
        keypair.sig_algorithms = algs
        return keypair

    def _algorithms(self) -> dict[str, list[str]]:
        def supported(wanted: tuple[str, ...], available: list[bytes]) -> list[str]:
            return [a for a in wanted if a.encode() in available]

        algorithms = self.profile.algorithms
        return {
            "kex_algs": supported(algorithms.kex, asyncssh.kex.get_kex_algs()),
            "encryption_algs": supported(algorithms.ciphers, asyncssh.encryption.get_encryption_algs()),
            "mac_algs": supported(algorithms.macs, asyncssh.mac.get_mac_algs()),
            "signature_algs": ["ssh-rsa"]
            if self.sha1_host_key_only
            else ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
        }

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Address:
        """Serve in a background thread; returns the address it listens on."""
        loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="simulated-facility", daemon=True)
        self._thread.start()
        facility = self

        class _Server(asyncssh.SSHServer):
            def __init__(self) -> None:
                self.refusal: str | None = None
                self.conn: asyncssh.SSHServerConnection | None = None

            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                self.conn = conn

            def begin_auth(self, username: str) -> bool:
                self.refusal = facility.sign_on(username)
                return True

            def password_auth_supported(self) -> bool:
                return False

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return self.refusal is None and facility.key_accepted(username, key)

        async def create() -> asyncssh.SSHAcceptor:
            return await asyncssh.create_server(
                _Server,
                host,
                port,
                server_host_keys=[self._keypair()],
                sftp_factory=lambda chan: FacilitySftp(chan, facility),
                allow_scp=False,
                agent_forwarding=False,
                x11_forwarding=False,
                allow_pty=False,
                session_factory=None,
                **self._algorithms(),
            )

        future = asyncio.run_coroutine_threadsafe(create(), loop)
        self._server = future.result(timeout=30)
        bound = self._server.sockets[0].getsockname()
        self.address = Address(host, int(bound[1]))
        return self.address

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        server = self._server

        async def close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._loop.close()
        self._loop = None
        self._server = None

    def __enter__(self) -> SimulatedFacility:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
