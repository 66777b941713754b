"""A binary cache beside each RPF01 so the second load of a few-hundred-MB file is near-instant.

``<file>.cpdcache`` holds a small JSON description (the exact decimals of FieldTypes 3-7, the
header, instrument ids, warnings) followed by the raw little-endian float64 scenario matrix,
which a load maps into memory read-only rather than reads.
It is keyed by the source's size, modification time, the SHA-256 of its header lines and the
CRC-32 of the whole file, plus the reading mode and cache version; the matrix carries its own
CRC-32, checked at every load. Any mismatch or damage means the source is parsed again.
No pickle: the cache is data, never code. It is written to a temporary name and renamed, so a
reader never sees half a cache; a folder that cannot be written to simply gets no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import struct
from datetime import date
from decimal import Decimal
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

import numpy as np
from isal import isal_zlib

from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity
from cpdesk.engine.rpf.model import (
    BenefitType,
    BetaHedgeInfo,
    CorporateActionInfo,
    DeltaInfo,
    RiskParameterFile,
    RpfHeader,
    ScenarioMatrix,
    StructuredProductInfo,
)
from cpdesk.engine.rpf.parser import parse_rpf
from cpdesk.fileio import write_atomically

CACHE_SUFFIX = ".cpdcache"
CACHE_VERSION = 3  # 2: problems keep their code; 3: CRC-32 of the source and of the matrix
_MAGIC = b"CPDRPF\x00\x01"
_ALIGN = 64
_HEADER_PROBE_BYTES = 1 << 16
_CRC_PIECE = 64 << 20


def cache_path_for(source: Path) -> Path:
    return source.with_name(source.name + CACHE_SUFFIX)


def load_rpf(
    path: str | Path, *, lenient: bool = False, use_cache: bool = True
) -> Parsed[RiskParameterFile | None]:
    """Parse an RPF01, or load it from its cache when the cache matches the file."""
    source = Path(path)
    if not use_cache:
        return parse_rpf(source, lenient=lenient)
    key = _cache_key(source, lenient)
    if key is not None:
        cached = _read_cache(cache_path_for(source), key, str(source))
        if cached is not None:
            return cached
    parsed = parse_rpf(source, lenient=lenient)
    if key is not None and parsed.value is not None:
        _write_cache(cache_path_for(source), key, parsed.value, parsed.problems)
    return parsed


def _crc32_of(path: Path) -> int:
    """CRC-32 of a whole file (ISA-L: several GB/s), read through a mapping in pieces."""
    crc = 0
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                for start in range(0, size, _CRC_PIECE):
                    crc = isal_zlib.crc32(view[start : start + _CRC_PIECE], crc)
            finally:
                view.release()
    return crc


def _cache_key(source: Path, lenient: bool) -> dict[str, Any] | None:
    """What the cache must match: the file's size, time, header and the CRC-32 of all of it (so
    another file with the same size, time and header, or an edit in place, is never taken for it)."""
    try:
        stat = source.stat()
        if not S_ISREG(stat.st_mode):
            return None  # a pipe or device is never cached (nor opened here: a pipe would block)
        with source.open("rb") as handle:
            head = handle.read(_HEADER_PROBE_BYTES)
        content_crc32 = _crc32_of(source)
    except (OSError, ValueError):
        return None
    # The header is everything before the first data row: the 12 parameters and the
    # column line (which ends at the 13th newline).
    end = -1
    for _ in range(13):
        end = head.find(b"\n", end + 1)
        if end < 0:
            end = len(head)
            break
    return {
        "version": CACHE_VERSION,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "header_sha256": hashlib.sha256(head[:end]).hexdigest(),
        "content_crc32": content_crc32,
        "lenient": lenient,
    }


def _encode(rpf: RiskParameterFile, problems: tuple[Problem, ...], key: dict[str, Any]) -> dict[str, Any]:
    h = rpf.header
    return {
        "key": key,
        "header": {
            "valuation_date": h.valuation_date.isoformat(),
            "decimals": [
                str(v)
                for v in (
                    h.hvar_weight,
                    h.svar_weight,
                    h.hvar_confidence_level,
                    h.svar_confidence_level,
                    h.holiday_factor,
                )
            ],
            "integers": [
                h.hvar_scenario_count,
                h.svar_scenario_count,
                h.stress_test_count,
                h.hvar_measure,
                h.svar_measure,
                h.rounding_hkd,
            ],
        },
        "ids": list(rpf.scenarios.instrument_ids),
        "hvar_count": rpf.scenarios.hvar_count,
        "svar_count": rpf.scenarios.svar_count,
        "flat_rates": {k: str(v) for k, v in rpf.flat_rates.items()},
        "beta_hedge": {
            k: [str(v.bucket_rate), str(v.beta), str(v.threshold_hkd), str(v.cash_delta_per_quantity_hkd)]
            for k, v in rpf.beta_hedge.items()
        },
        "deltas": {
            k: [v.underlying_group, str(v.delta), str(v.conversion_ratio), str(v.cash_delta_per_quantity_hkd)]
            for k, v in rpf.deltas.items()
        },
        "structured_products": {
            k: [str(v.price_threshold_hkd), str(v.tenth_of_tick_multiplier)]
            for k, v in rpf.structured_products.items()
        },
        "corporate_actions": [
            [k[0], int(k[1]), str(v.entitlement_price_hkd), str(v.short_addon_rate), str(v.long_addon_rate)]
            for k, v in rpf.corporate_actions.items()
        ],
        "problems": [p.as_dict() for p in problems],
        "matrix_crc32": _matrix_crc32(rpf.scenarios.returns, rpf.scenarios.max_abs_return),
    }


def _matrix_crc32(returns: np.ndarray, max_abs: np.ndarray) -> int:
    """CRC-32 of the matrix as the cache stores it (little-endian float64, then the row maxima)."""
    crc = isal_zlib.crc32(np.ascontiguousarray(returns, dtype="<f8").data, 0)
    return int(isal_zlib.crc32(np.ascontiguousarray(max_abs, dtype="<f8").data, crc))


def _write_cache(
    target: Path, key: dict[str, Any], rpf: RiskParameterFile, problems: tuple[Problem, ...]
) -> None:
    meta = json.dumps(_encode(rpf, problems, key), separators=(",", ":")).encode()
    prefix = _MAGIC + struct.pack("<Q", len(meta)) + meta
    padding = b"\0" * (-len(prefix) % _ALIGN)

    def write(handle: BinaryIO) -> None:
        handle.write(prefix + padding)
        rpf.scenarios.returns.astype("<f8", copy=False).tofile(handle)
        rpf.scenarios.max_abs_return.astype("<f8", copy=False).tofile(handle)

    with contextlib.suppress(OSError):  # a folder that cannot be written simply gets no cache
        write_atomically(target, write)


def _read_cache(target: Path, key: dict[str, Any], source: str) -> Parsed[RiskParameterFile | None] | None:
    try:
        with target.open("rb") as handle:
            if handle.read(len(_MAGIC)) != _MAGIC:
                return None
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > 1 << 31:
                return None
            meta = json.loads(handle.read(length))
            if not isinstance(meta, dict) or meta.get("key") != key:
                return None
            offset = len(_MAGIC) + 8 + length + (-(len(_MAGIC) + 8 + length) % _ALIGN)
            rows, cols = len(meta["ids"]), meta["hvar_count"] + meta["svar_count"]
            if os.fstat(handle.fileno()).st_size != offset + 8 * (rows * cols + rows):
                return None
        # Mapped, not read: mapping takes milliseconds, a calculation pages in only the rows it
        # touches, and processes loading the same file share its pages. The cache is replaced by
        # renaming, never rewritten in place, so a mapping stays valid.
        floats = np.asarray(
            np.memmap(target, dtype="<f8", mode="r", offset=offset, shape=(rows * cols + rows,))
        )
        returns, max_abs = floats[: rows * cols], floats[rows * cols :]
        if _matrix_crc32(returns, max_abs) != meta["matrix_crc32"]:
            return None  # damaged since it was written: parse the file again
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, struct.error):
        return None  # not a cache this cpdesk wrote, or a damaged one: parse the file again
    try:
        return _decode(meta, returns.reshape(rows, cols).astype(np.float64, copy=False), max_abs, source)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, ArithmeticError):
        return None


def _decode(
    meta: dict[str, Any], returns: np.ndarray, max_abs: np.ndarray, source: str
) -> Parsed[RiskParameterFile | None]:
    h = meta["header"]
    hw, sw, hcl, scl, holiday = (Decimal(v) for v in h["decimals"])
    hcount, scount, stv, hmeasure, smeasure, rounding = h["integers"]
    header = RpfHeader(
        date.fromisoformat(h["valuation_date"]),
        hw,
        sw,
        hcount,
        scount,
        stv,
        hcl,
        scl,
        hmeasure,
        smeasure,
        rounding,
        holiday,
    )
    scenarios = ScenarioMatrix(tuple(meta["ids"]), returns, meta["hvar_count"], meta["svar_count"], max_abs)
    rpf = RiskParameterFile(
        source=source,
        header=header,
        scenarios=scenarios,
        flat_rates={k: Decimal(v) for k, v in meta["flat_rates"].items()},
        beta_hedge={k: BetaHedgeInfo(*(Decimal(x) for x in v)) for k, v in meta["beta_hedge"].items()},
        deltas={k: DeltaInfo(v[0], *(Decimal(x) for x in v[1:])) for k, v in meta["deltas"].items()},
        structured_products={
            k: StructuredProductInfo(*(Decimal(x) for x in v)) for k, v in meta["structured_products"].items()
        },
        corporate_actions={
            (row[0], BenefitType(row[1])): CorporateActionInfo(
                BenefitType(row[1]), *(Decimal(x) for x in row[2:])
            )
            for row in meta["corporate_actions"]
        },
    )
    problems = tuple(
        Problem(source, p["line"], p["field"], p["message"], Severity(p["severity"]), ProblemCode(p["code"]))
        for p in meta["problems"]
    )
    return Parsed(rpf, problems)
