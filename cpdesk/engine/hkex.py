"""Names and limits the HKEX documents fix, written once (derivatives SFTP guide, seed 000)."""

from __future__ import annotations

import re

KEY_FOLDER = "KEY_MANAGEMENT"  # §6: public key uploads, renewal results, expiry warnings
LOP_REPORT_FOLDER = "LOPREPORT"  # §8: LOP reports go here (upload only)
LOP_RESULT_FOLDER = "LOPRESULT"  # §8: HKEX's answers (download only)

# DCASS customer code (CXXX) and its two SFTP accounts (CXXX001, CXXX002), capitals (§3).
PARTICIPANT_CODE = re.compile(r"C[A-Z0-9]{3}")
DERIVATIVES_ACCOUNT = re.compile(r"C[A-Z0-9]{3}00[12]")
ACCOUNT_SUFFIXES = ("001", "002")
# Any facility's account: a derivatives account above, or RAP's CCASS participant id (assumed, RAP
# guide not among cpdesk's documents): capitals and digits, up to nine.
SFTP_ACCOUNT = re.compile(r"[A-Z0-9]{1,9}")

# Seconds cpdesk adds to every facility window (sign-ons per 5 minutes, key uploads per hour):
# absorbs clock differences between this machine and HKEX's.
CLOCK_MARGIN_SECONDS = 5.0
