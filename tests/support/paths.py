"""Where the repository and the read-only reference documents are."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_REFERENCE = REPO.parent / "shared" / "reference"
