"""The binary cache beside an RPF01: same values, invalidated by changes, never trusted blindly."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cpdesk.engine.rpf import RiskParameterFile
from cpdesk.engine.rpf.cache import cache_path_for, load_rpf
from cpdesk.engine.rpf.synthetic import write_synthetic_rpf


def assert_same(a: RiskParameterFile, b: RiskParameterFile) -> None:
    assert a.header == b.header
    assert a.scenarios.instrument_ids == b.scenarios.instrument_ids
    assert np.array_equal(a.scenarios.returns, b.scenarios.returns)
    assert np.array_equal(a.scenarios.max_abs_return, b.scenarios.max_abs_return)
    for name in ("flat_rates", "beta_hedge", "deltas", "structured_products", "corporate_actions"):
        assert dict(getattr(a, name)) == dict(getattr(b, name)), name


@pytest.fixture
def rpf_file(tmp_path: Path) -> Path:
    return write_synthetic_rpf(tmp_path / "RPF01.csv", 60, 30, 40)


def test_second_load_comes_from_the_cache(rpf_file: Path) -> None:
    first = load_rpf(rpf_file)
    cache = cache_path_for(rpf_file)
    assert cache.exists()
    stamp = cache.stat().st_mtime_ns
    second = load_rpf(rpf_file)
    assert first.value is not None
    assert second.value is not None
    assert_same(first.value, second.value)
    assert cache.stat().st_mtime_ns == stamp  # read, not rewritten
    assert not second.value.scenarios.returns.flags.writeable


def test_a_changed_file_is_parsed_again(rpf_file: Path) -> None:
    load_rpf(rpf_file)
    text = rpf_file.read_text().replace("Rounding,10000", "Rounding,20000")
    rpf_file.write_text(text)
    os.utime(rpf_file, ns=(rpf_file.stat().st_atime_ns, rpf_file.stat().st_mtime_ns + 10**9))
    reloaded = load_rpf(rpf_file).value
    assert reloaded is not None
    assert reloaded.header.rounding_hkd == 20000


def test_lenient_and_strict_reads_do_not_share_a_cache(tmp_path: Path) -> None:
    from cpdesk import samples

    source = tmp_path / "guide.csv"
    source.write_bytes(samples.GUIDE_RPF.read_bytes())
    assert load_rpf(source, lenient=True).value is not None
    strict = load_rpf(source)
    assert strict.value is None
    assert strict.errors


def test_damaged_cache_is_ignored(rpf_file: Path) -> None:
    good = load_rpf(rpf_file).value
    cache = cache_path_for(rpf_file)
    data = bytearray(cache.read_bytes())
    cache.write_bytes(bytes(data[: len(data) // 2]))  # truncated
    again = load_rpf(rpf_file).value
    assert good is not None
    assert again is not None
    assert_same(good, again)
    cache.write_bytes(b"not a cache at all")
    assert load_rpf(rpf_file).value is not None


def test_unwritable_cache_leaves_nothing_behind(rpf_file: Path) -> None:
    # A directory squatting on the cache's name makes the final rename fail, as a read-only
    # folder would (tests run as root here, where chmod does not stop writes).
    blocker = cache_path_for(rpf_file)
    blocker.mkdir()
    (blocker / "keep").write_text("x")
    assert load_rpf(rpf_file).value is not None
    assert sorted(p.name for p in rpf_file.parent.iterdir()) == sorted([rpf_file.name, blocker.name])
    assert load_rpf(rpf_file).value is not None  # and reading still works


def test_errors_are_never_cached(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("Valuation_DT,1/4/2019\n")
    assert load_rpf(source).value is None
    assert not cache_path_for(source).exists()


def test_a_loaded_file_keeps_its_figures_when_its_cache_is_replaced(rpf_file: Path) -> None:
    load_rpf(rpf_file)
    mapped = load_rpf(rpf_file).value  # from the cache, whose matrix is mapped, not copied
    assert mapped is not None
    assert type(mapped.scenarios.returns) is np.ndarray
    before = mapped.scenarios.returns.copy()
    rpf_file.write_text(rpf_file.read_text().replace("Rounding,10000", "Rounding,20000"))
    os.utime(rpf_file, ns=(rpf_file.stat().st_atime_ns, rpf_file.stat().st_mtime_ns + 10**9))
    stamp = cache_path_for(rpf_file).stat().st_mtime_ns
    assert load_rpf(rpf_file).value is not None
    assert cache_path_for(rpf_file).stat().st_mtime_ns != stamp  # a new cache took the name
    assert np.array_equal(mapped.scenarios.returns, before)


def test_flipped_bytes_in_the_cached_matrix_are_noticed(rpf_file: Path) -> None:
    good = load_rpf(rpf_file).value
    cache = cache_path_for(rpf_file)
    data = bytearray(cache.read_bytes())
    for offset in range(len(data) - 64, len(data) - 8):  # inside the matrix's last values
        data[offset] ^= 0x5A
    cache.write_bytes(bytes(data))
    os.utime(cache, ns=(cache.stat().st_atime_ns, cache.stat().st_mtime_ns))
    again = load_rpf(rpf_file).value
    assert good is not None
    assert again is not None
    assert_same(good, again)  # parsed again from the source, not taken from the damaged cache


def test_another_files_cache_with_the_same_size_time_and_header_is_not_used(rpf_file: Path) -> None:
    """A cache copied from a file that differs only in one scenario return (same size, time and
    header): the CRC-32 of the whole source tells them apart."""
    original = load_rpf(rpf_file).value
    lines = rpf_file.read_bytes().split(b"\n")
    row = next(i for i, line in enumerate(lines) if line.split(b",")[1:2] == [b"1"])
    last = lines[row][-1:]
    lines[row] = lines[row][:-1] + (b"1" if last != b"1" else b"2")  # one digit, same length
    stat = rpf_file.stat()
    rpf_file.write_bytes(b"\n".join(lines))
    os.utime(rpf_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert rpf_file.stat().st_size == stat.st_size
    loaded = load_rpf(rpf_file).value
    direct = load_rpf(rpf_file, use_cache=False).value
    assert original is not None
    assert loaded is not None
    assert direct is not None
    assert_same(loaded, direct)
    assert not np.array_equal(loaded.scenarios.returns, original.scenarios.returns)


@pytest.mark.parametrize(
    "meta", [b"[1, 2, 3]", b"[" * 100_000 + b"]" * 100_000, b'{"key": 5}', b"\xff\xfe", b"null"]
)
def test_a_cache_with_hostile_json_is_parsed_again(rpf_file: Path, meta: bytes) -> None:
    import struct

    good = load_rpf(rpf_file).value
    cache_path_for(rpf_file).write_bytes(b"CPDRPF\x00\x01" + struct.pack("<Q", len(meta)) + meta)
    again = load_rpf(rpf_file).value
    assert good is not None
    assert again is not None
    assert_same(good, again)
