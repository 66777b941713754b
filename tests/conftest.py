"""Shared fixtures: the guide's sample RPF, positions and worked-example parameters; simulated
facilities (``make_site``). Helpers live in tests/support/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import asyncssh
import pytest
from hypothesis import settings

from cpdesk import samples
from cpdesk.engine.margin import MarginParameters, PositionLimitInputs
from cpdesk.engine.margin.positions import Position, parse_flat_groups, parse_positions
from cpdesk.engine.rpf import RiskParameterFile, parse_rpf
from tests.support.sites import SiteFactory, site_factory

# Property tests are derandomised so CI is reproducible; HYPOTHESIS_PROFILE=explore searches wider.
settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", max_examples=2_000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def guide_rpf() -> RiskParameterFile:
    parsed = parse_rpf(samples.GUIDE_RPF, lenient=True)
    assert parsed.value is not None, parsed.problems
    return parsed.value


@pytest.fixture(scope="session")
def guide_positions() -> tuple[Position, ...]:
    parsed = parse_positions(samples.GUIDE_POSITIONS)
    assert not parsed.problems
    return parsed.value


@pytest.fixture(scope="session")
def guide_parameters() -> MarginParameters:
    """The worked example's inputs (guide §3.2 and §4.1)."""
    groups = parse_flat_groups(samples.GUIDE_FLAT_GROUPS)
    assert not groups.problems
    return MarginParameters(
        flat_rate_multiplier=Decimal(2),
        ipo_codes=frozenset({"1876", "3690"}),
        flat_groups=groups.value,
        holiday=True,
        position_limit=PositionLimitInputs(
            Decimal(75_000_000), Decimal(4), Decimal(280_000_000), Decimal("0.25")
        ),
        credit_risk_addon_hkd=Decimal(12_000_000),
        adhoc_addon_hkd=Decimal(600_000),
    )


@pytest.fixture(scope="session")
def host_key() -> asyncssh.SSHKey:
    """One simulated-facility host key for the whole run (RSA generation is slow)."""
    return asyncssh.generate_private_key("ssh-rsa", key_size=2048)


@pytest.fixture
def make_site(tmp_path: Path, host_key: asyncssh.SSHKey) -> Iterator[SiteFactory]:
    with site_factory(tmp_path, host_key) as make:
        yield make
