"""What the simulated facility tells its hooks about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UploadEvent:
    account: str
    participant: str
    folder: str  # the visible folder, e.g. KEY_MANAGEMENT
    store_folder: str  # where it is kept, e.g. account/CXYZ001/KEY_MANAGEMENT
    name: str
    content: bytes
    at: datetime
