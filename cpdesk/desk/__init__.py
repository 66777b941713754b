"""The service layer every front calls: :class:`Desk`, and the frozen results it returns.

A front (the command line, the Textual dashboard, the Excel add-in) holds no business logic: it
turns what a user did into a :class:`Desk` call and renders the result. The desk puts together
the configuration, the ledger, the facility connection and the engine.
"""

from cpdesk.desk.batch import AccountMargin, BatchRequest, BatchSummary
from cpdesk.desk.config import CpdeskConfig, FacilityConfig, load_config
from cpdesk.desk.desk import Desk
from cpdesk.desk.history import HistoryPoint
from cpdesk.desk.hostkeys import HostKeyCheck
from cpdesk.desk.keys import KeyStatus
from cpdesk.desk.lop import LopUpload
from cpdesk.desk.lop_reports import LopRecord, WrittenTemplate
from cpdesk.desk.margin import ExplainOutcome, MarginOutcome, MarginRequest, WhatIfOutcome, WhatIfScenario
from cpdesk.desk.registration import RegistrationPackage, RegistrationRefused
from cpdesk.desk.renewal import RenewalOutcome
from cpdesk.desk.reports import MstdReport, ReportCheck, ReportView, SkippedFile
from cpdesk.desk.sessions import Transport, sftp_transport
from cpdesk.desk.status import (
    AccountBudget,
    ExpectedReport,
    FacilityHours,
    ReportState,
    RetrievalStatus,
    SignOnBudget,
    UnarchivedFile,
)
from cpdesk.desk.sync_results import (
    FacilityResult,
    FileOutcome,
    Reporter,
    RetentionWarning,
    SilentReporter,
    SyncReport,
)

__all__ = [
    "AccountBudget",
    "AccountMargin",
    "BatchRequest",
    "BatchSummary",
    "CpdeskConfig",
    "Desk",
    "ExpectedReport",
    "ExplainOutcome",
    "FacilityConfig",
    "FacilityHours",
    "FacilityResult",
    "FileOutcome",
    "HistoryPoint",
    "HostKeyCheck",
    "KeyStatus",
    "LopRecord",
    "LopUpload",
    "MarginOutcome",
    "MarginRequest",
    "MstdReport",
    "RegistrationPackage",
    "RegistrationRefused",
    "RenewalOutcome",
    "ReportCheck",
    "ReportState",
    "ReportView",
    "Reporter",
    "RetentionWarning",
    "RetrievalStatus",
    "SignOnBudget",
    "SilentReporter",
    "SkippedFile",
    "SyncReport",
    "Transport",
    "UnarchivedFile",
    "WhatIfOutcome",
    "WhatIfScenario",
    "WrittenTemplate",
    "load_config",
    "sftp_transport",
]
