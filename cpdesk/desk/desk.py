"""The :class:`Desk`: the one service API every front calls (Strata's ``*TradeCalculations``).

A desk holds the configuration, the report catalogue, the LOP schema and one ledger connection per
thread (a dashboard's worker thread and its UI thread both read the ledger). Its methods take
plain values, return frozen dataclasses and never print; what they refuse they raise as
:mod:`cpdesk.connectors.errors`. Fronts render what comes back.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from cpdesk.connectors.errors import ConfigurationError, FacilityError, InputRejected
from cpdesk.connectors.sftp.client import server_host_key
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import Address
from cpdesk.connectors.store.keyfiles import KeyPairFiles, new_key_pair, read_public_key
from cpdesk.connectors.store.ledger import FileRow, Ledger, SyncRunRow
from cpdesk.connectors.store.localfiles import write_new_file
from cpdesk.desk.batch import AccountMargin, BatchRequest, BatchSummary, ProgressCallback, margin_batch
from cpdesk.desk.config import CpdeskConfig, load_config, render_template
from cpdesk.desk.history import HistoryPoint, archived_rpfs, margin_history
from cpdesk.desk.hostkeys import HostKeyCheck
from cpdesk.desk.keys import KeyStatus, key_status
from cpdesk.desk.lop import LopUpload, fetch_results, upload_reports
from cpdesk.desk.lop_reports import (
    LopRecord,
    WrittenTemplate,
    schema_from,
    validate_sheet,
    validate_source,
    write_templates,
)
from cpdesk.desk.margin import (
    ExplainOutcome,
    MarginOutcome,
    MarginRequest,
    WhatIfOutcome,
    explain,
    margin,
    request_parameters,
    request_rpf,
    what_if,
)
from cpdesk.desk.positions import PositionsOutcome, PositionsRequest, positions
from cpdesk.desk.registration import RegistrationPackage, build_registration
from cpdesk.desk.renewal import RenewalOutcome, renew_key
from cpdesk.desk.reports import (
    MstdReport,
    ReportCheck,
    ReportView,
    check_reports,
    reconcile_mstd,
    show_report,
)
from cpdesk.desk.results import Steps, quiet
from cpdesk.desk.sessions import Transport, sftp_transport
from cpdesk.desk.status import (
    RetrievalStatus,
    SignOnBudget,
    retrieval_status,
    sign_on_budget,
    sync_times,
)
from cpdesk.desk.sync import sync_all
from cpdesk.desk.sync_results import Reporter, SyncReport
from cpdesk.desk.uploads import UploadBudget, UploadGovernor
from cpdesk.engine.calendar import HKT, TradingDays
from cpdesk.engine.hkex import PARTICIPANT_CODE
from cpdesk.engine.keys import PublicKey
from cpdesk.engine.lop.schema import LopSchema
from cpdesk.engine.lop.validate import LopValidation
from cpdesk.engine.problems import errors_in
from cpdesk.engine.reports.catalogue import Catalogue, load_catalogue
from cpdesk.engine.reports.mstd import MstdInputs, MstdRequirement, mstd_requirement
from cpdesk.engine.sources import Source
from cpdesk.engine.status import UploadKind, UploadResult

SIGN_ON_WINDOW_LOOKBACK_SECONDS = 3600  # the budget needs only the last window; an hour is ample


class Desk:
    """Everything the desk does, for any front. ``config`` may be None for what needs none
    (margin, report checks, key files, LOP templates and validation)."""

    def __init__(
        self,
        config: CpdeskConfig | None = None,
        *,
        schema: LopSchema | None = None,
        catalogue: Catalogue | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: Transport = sftp_transport,
    ) -> None:
        self._config = config
        self.schema = schema or schema_from(None)
        self.catalogue = catalogue or load_catalogue()
        self.clock = clock
        self.sleep = sleep
        self.transport = transport
        self._local = threading.local()
        self._ledgers: list[Ledger] = []
        self._ledgers_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        config_path: Path,
        *,
        schema_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: Transport = sftp_transport,
    ) -> Desk:
        """A desk on ``config_path`` (raises ConfigurationError when it cannot be used)."""
        config = load_config(config_path)
        return cls(config, schema=schema_from(schema_path), clock=clock, sleep=sleep, transport=transport)

    @classmethod
    def standalone(cls, *, schema_path: Path | None = None, clock: Callable[[], float] = time.time) -> Desk:
        """A desk without configuration: margin, reports, key files, LOP templates and validation."""
        return cls(None, schema=schema_from(schema_path), clock=clock)

    @classmethod
    def open_optional(
        cls, config_path: Path, *, schema_path: Path | None = None, clock: Callable[[], float] = time.time
    ) -> Desk:
        """A desk on ``config_path`` when the file exists, else one without configuration (LOP
        validation then knows no exchange holidays)."""
        config = load_config(config_path) if config_path.exists() else None
        return cls(config, schema=schema_from(schema_path), clock=clock)

    # -- resources ---------------------------------------------------------------------------------

    @property
    def config(self) -> CpdeskConfig:
        if self._config is None:
            raise ConfigurationError("no configuration: create one with `cpdesk init`")
        return self._config

    @property
    def ledger(self) -> Ledger:
        """This thread's connection to the ledger (SQLite connections stay in their thread)."""
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = Ledger(self.config.ledger)
            self._local.ledger = ledger
            with self._ledgers_lock:
                self._ledgers.append(ledger)
        return ledger

    @property
    def trading_days(self) -> TradingDays:
        return self._config.trading_days if self._config is not None else TradingDays()

    def today(self) -> date:
        return self.now().date()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), HKT)

    def release_thread(self) -> None:
        """Close this thread's ledger connection (a front's short-lived worker threads call this
        when done, so a dashboard refreshing all day does not gather connections)."""
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            return
        self._local.ledger = None
        with self._ledgers_lock:
            self._ledgers.remove(ledger)
        ledger.close()

    def close(self) -> None:
        with self._ledgers_lock:
            for ledger in self._ledgers:
                ledger.close()
            self._ledgers.clear()
        self._local = threading.local()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- retrieval ---------------------------------------------------------------------------------

    def sync(
        self, reporter: Reporter | None = None, dry_run: bool = False, refetch: Iterable[str] = ()
    ) -> SyncReport:
        """Fetch what is new from every configured facility (one sign-on each); ``refetch`` names
        files to fetch again although the ledger has them."""
        return sync_all(
            self.config,
            self.ledger,
            self.catalogue,
            reporter,
            dry_run,
            self.clock,
            self.sleep,
            self.transport,
            frozenset(refetch),
        )

    def history(self, business_date: date | None = None, facility: str | None = None) -> tuple[FileRow, ...]:
        """Files in the ledger, oldest first; of one business date and/or facility."""
        day = business_date.isoformat() if business_date else None
        return tuple(self.ledger.files(facility, day))

    def last_syncs(self) -> tuple[SyncRunRow, ...]:
        """How each facility's latest sync ended (from any front or process: the ledger's)."""
        return tuple(self.ledger.last_sync_runs())

    def latest_download(self) -> datetime | None:
        """When the latest file in the ledger was archived (HKT), or None for an empty ledger."""
        at = self.ledger.latest_download_at()
        return datetime.fromtimestamp(at, HKT) if at is not None else None

    def archived_rpf(self, business_date: date) -> Path:
        """The archived, verified RPF01 data file of ``business_date`` (the latest, when several)."""
        found = archived_rpfs(
            self.ledger.files(None, business_date.isoformat()), business_date, business_date
        )
        if not found:
            raise InputRejected(
                f"no verified RPF01 for {business_date} in the ledger {self.config.ledger} "
                "(run `cpdesk sync`, or give --rpf FILE)"
            )
        return found[0][1]

    def retrieval_status(self, business_date: date | None = None) -> RetrievalStatus:
        """The day's expected reports (default: today, HKT) against what the ledger holds."""
        day = business_date or self.today()
        files = self.ledger.files(business_date=day.isoformat())
        unarchived = self.ledger.seen_not_archived()
        return retrieval_status(self.config, self.catalogue, day, files, unarchived, self.now())

    def sync_times(self, business_date: date | None = None) -> tuple[datetime, ...]:
        """When the day's reports become due (catalogue time plus the grace): when an automatic
        sync is worth running."""
        return sync_times(self.config, self.catalogue, business_date or self.today())

    def sign_on_budget(self, now: datetime | None = None) -> SignOnBudget:
        moment = now or self.now()
        attempts = self.ledger.sign_ons(since=moment.timestamp() - SIGN_ON_WINDOW_LOOKBACK_SECONDS)
        return sign_on_budget(self.config, attempts, moment)

    # -- keys --------------------------------------------------------------------------------------

    def key_status(self, today: date | None = None) -> tuple[KeyStatus, ...]:
        return key_status(self.config, self.ledger, today or self.today())

    def key_upload_budget(self) -> tuple[UploadBudget, ...]:
        """Each account's key uploads against the facility's control (5 an hour, 120 a day)."""
        return tuple(
            UploadGovernor(
                self.ledger, f.profile.key_uploads_per_hour, f.profile.key_uploads_per_day, self.clock
            ).budget(f.name, a.account, UploadKind.KEY)
            for f in self.config.facilities
            for a in f.accounts
        )

    def renew_key(
        self,
        account: str,
        key_dir: Path | None = None,
        passphrase: bytes | None = None,
        wait_seconds: float = 60.0,
        steps: Steps = quiet,
    ) -> RenewalOutcome:
        """Renew ``account``'s key (upload control, sign-on, new pair, upload, result, config);
        ``steps`` hears each step."""
        return renew_key(
            self.config,
            account,
            self.ledger,
            key_dir,
            passphrase,
            self.clock,
            self.sleep,
            wait_seconds,
            self.transport,
            steps,
        )

    @staticmethod
    def new_key_pair(account: str, folder: Path, passphrase: bytes | None = None) -> KeyPairFiles:
        return new_key_pair(account, folder, passphrase)

    @staticmethod
    def read_public_key(path: Path) -> PublicKey:
        return read_public_key(path)

    @staticmethod
    def register_keys(
        participant: str, folder: Path, ips: list[str], out: Path | None = None
    ) -> RegistrationPackage:
        return build_registration(participant, folder, ips, out)

    # -- LOP reports -------------------------------------------------------------------------------

    def lop_templates(
        self, kind: str, out: Path, submitter: str | None = None, trade_date: str | None = None
    ) -> list[WrittenTemplate]:
        return write_templates(self.schema, kind, out, submitter, trade_date)

    def validate_lop(self, source: Source, name: str | None = None) -> LopValidation:
        """Validate a saved workbook (a path or an open stream)."""
        return validate_source(source, self.schema, self.trading_days, self.today(), name)

    def validate_lop_sheet(
        self, file_name: str, rows: Sequence[Sequence[object]], *, date1904: bool = False
    ) -> LopValidation:
        """Validate a live sheet's values (the add-in, before the workbook is saved)."""
        return validate_sheet(
            file_name, rows, self.schema, self.trading_days, self.today(), date1904=date1904
        )

    def upload_lop(
        self,
        paths: Iterable[Path],
        account: str | None = None,
        wait_seconds: float = 120.0,
        steps: Steps = quiet,
    ) -> list[LopUpload]:
        """Validate, claim, upload (one sign-on) and await each report's result; ``steps`` hears
        each step."""
        return upload_reports(
            self.config,
            paths,
            self.ledger,
            self.schema,
            account,
            wait_seconds,
            self.clock,
            self.sleep,
            self.transport,
            steps,
        )

    def lop_results(self, fetch: bool = False) -> tuple[LopRecord, ...]:
        """Every LOP upload that went (or is going) to the facility; ``fetch`` signs on once to
        collect awaited results first."""
        if fetch:
            fetch_results(self.config, self.ledger, None, self.clock, self.sleep, self.transport)
        rows = self.ledger.uploads(UploadKind.LOP)
        return tuple(LopRecord.of(row) for row in rows if row.result is not UploadResult.RELEASED)

    # -- reports and margin ------------------------------------------------------------------------

    def check_reports(self, paths: Iterable[Path]) -> ReportCheck:
        return check_reports(paths, self.catalogue)

    @staticmethod
    def show_report(path: Path) -> ReportView:
        return show_report(path)

    @staticmethod
    def reconcile_mstd(path: Path) -> MstdReport:
        return reconcile_mstd(path)

    @staticmethod
    def what_if(request: MarginRequest, trades: Source) -> WhatIfOutcome:
        """The portfolio's breakdown without and with each set of what-if trades (a ``Scenario``
        column names the sets), each figure's change the difference of two full calculations."""
        return what_if(request, trades)

    @staticmethod
    def explain_margin(request: MarginRequest) -> ExplainOutcome:
        """Which positions drive the margin: standalone and incremental margin per position, its
        exact share of each expected shortfall, the tail scenarios and the components by group."""
        return explain(request)

    @staticmethod
    def margin_batch(
        request: MarginRequest,
        batch: BatchRequest,
        summary: BatchSummary | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[AccountMargin]:
        """Each account's breakdown from one positions file with an account column, as a stream
        (``request.positions`` is not read: the batch's file is). Raises InputRejected when the
        RPF or the file cannot be read at all; a bad account is reported on its row."""
        rpf = request_rpf(request)
        if rpf.value is None or rpf.errors:
            raise InputRejected("; ".join(str(p) for p in rpf.errors) or "the RPF could not be read")
        # The request's flat rate group file counts for every account, as in ``margin``.
        parameters, problems = request_parameters(request, batch.parameters)
        if parameters is None:
            raise InputRejected("; ".join(str(p) for p in errors_in(problems)))
        return margin_batch(rpf.value, replace(batch, parameters=parameters), summary, on_progress)

    def archived_rpfs(self, first: date | None = None, last: date | None = None) -> list[tuple[date, Path]]:
        """(business date, path) of every archived, verified RPF01 in the ledger, in date order."""
        return archived_rpfs(self.ledger.files(), first, last)

    def margin_history(
        self, request: MarginRequest, first: date | None = None, last: date | None = None
    ) -> tuple[HistoryPoint, ...]:
        """``request``'s portfolio margined on each archived RPF01 from ``first`` to ``last``
        (``request.rpf`` is not read). Raises InputRejected when the ledger holds none."""
        rpfs = self.archived_rpfs(first, last)
        if not rpfs:
            raise InputRejected(
                f"no verified RPF01 in the ledger {self.config.ledger} between {first or 'the first'} and "
                f"{last or 'the last'} business date (run `cpdesk sync`)"
            )
        return margin_history(rpfs, request.positions, request.parameters, request.flat_groups)

    @staticmethod
    def marginable_positions(request: PositionsRequest) -> PositionsOutcome:
        """A CP's unsettled trades turned into marginable positions as HKSCC makes them (guide
        §4.3–4.8), with what each step did and the MTM of the run."""
        return positions(request)

    @staticmethod
    def mstd(inputs: MstdInputs) -> MstdRequirement:
        """The Northbound MSTD requirement (seed 003): max(daily, monthly), CNY."""
        return mstd_requirement(inputs)

    @staticmethod
    def margin(request: MarginRequest) -> MarginOutcome:
        return margin(request)

    # -- setting up --------------------------------------------------------------------------------

    @staticmethod
    def write_config(
        path: Path,
        participant: str | None = "CXXX",
        rap_participant: str | None = None,
        rap_host: str | None = None,
    ) -> None:
        """A commented ``cpdesk.toml`` with a working block for each facility asked for; never
        over an existing file. Codes and the RAP address are checked first."""
        if participant is not None and not PARTICIPANT_CODE.fullmatch(participant):
            raise ConfigurationError(
                f"participant {participant!r} is not a DCASS customer code (C and three capitals or digits)"
            )
        if rap_participant is not None:
            if not re.fullmatch(r"[A-Z0-9]{1,9}", rap_participant):
                raise ConfigurationError(f"RAP participant {rap_participant!r} is not a CCASS id in capitals")
            if rap_host is None:
                raise ConfigurationError("give --rap-host HOST:PORT, the RAP address from HKEX")
            try:
                Address.parse(rap_host)
            except ValueError as exc:
                raise ConfigurationError(str(exc)) from None
        if participant is None and rap_participant is None:
            raise ConfigurationError("no facility asked for")
        if path.exists():
            raise ConfigurationError(f"{path} exists; not overwritten")
        try:
            write_new_file(path, render_template(participant, rap_participant, rap_host).encode())
        except FileExistsError:
            raise ConfigurationError(f"{path} exists; not overwritten") from None
        except OSError as exc:
            raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None

    def host_keys(self, facility: str | None = None) -> list[HostKeyCheck]:
        """What each configured address presents (key exchange only, no sign-on) beside what is
        pinned for it."""
        known = KnownHosts(self.config.known_hosts)
        found = []
        for item in self.config.facilities:
            if facility and item.name != facility:
                continue
            for address in item.addresses:
                try:
                    key = server_host_key(address, item.profile)
                except (FacilityError, OSError) as exc:
                    found.append(HostKeyCheck(item.name, address, None, (), str(exc)))
                    continue
                found.append(HostKeyCheck(item.name, address, key, tuple(known.pinned(address)), ""))
        return found

    def pin_host_key(self, check: HostKeyCheck) -> Path:
        assert check.key is not None
        KnownHosts(self.config.known_hosts).add(check.address, check.key)
        return self.config.known_hosts
