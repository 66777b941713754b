"""SSH keys: file formats and fingerprints, validity rules, and HKEX's result and warning files."""

from cpdesk.engine.keys.formats import (
    KEY_FILE_LIMIT,
    MD5_FINGERPRINT,
    KeyFormatError,
    PublicKey,
    check_registrable,
    looks_private,
    md5_fingerprint_of,
    parse_public_key,
    sha256_fingerprint_of,
)
from cpdesk.engine.keys.results import (
    RESULT_NAME,
    WARNING_NAME,
    ExpiryWarning,
    RenewalResult,
    parse_expiry_warning,
    parse_renewal_result,
)
from cpdesk.engine.keys.rules import (
    HKEX_WARNING_DAYS,
    OVERLAP_DAYS,
    VALIDITY_DAYS,
    WARN_DAYS,
    KeyStanding,
    KeyUrgency,
    Renewal,
    standing,
)

__all__ = [
    "HKEX_WARNING_DAYS",
    "KEY_FILE_LIMIT",
    "MD5_FINGERPRINT",
    "OVERLAP_DAYS",
    "RESULT_NAME",
    "VALIDITY_DAYS",
    "WARNING_NAME",
    "WARN_DAYS",
    "ExpiryWarning",
    "KeyFormatError",
    "KeyStanding",
    "KeyUrgency",
    "PublicKey",
    "Renewal",
    "RenewalResult",
    "check_registrable",
    "looks_private",
    "md5_fingerprint_of",
    "parse_expiry_warning",
    "parse_public_key",
    "parse_renewal_result",
    "sha256_fingerprint_of",
    "standing",
]
