"""Sample inputs shipped with cpdesk (the HKSCC guide's worked example)."""

from pathlib import Path

GUIDE_DIR = Path(__file__).parent / "guide"
GUIDE_RPF = GUIDE_DIR / "rpf01-guide-sample.csv"
GUIDE_POSITIONS = GUIDE_DIR / "guide-sample-positions.csv"
GUIDE_FLAT_GROUPS = GUIDE_DIR / "flat-groups.csv"
