"""Values worked out from an RPF once and kept as long as the RPF lives.

An RPF is immutable, so anything derived from it (lookup tables, scenario counts) can be built
on first use and reused by every calculation on it. The cache is keyed weakly: when nothing else
holds the RPF it goes, and its derived values with it. A derived value must therefore not hold
the RPF itself (it would keep itself alive); hold a ``weakref.ref`` where it needs one.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

from cpdesk.engine.rpf.model import RiskParameterFile

Derived = TypeVar("Derived")


def kept_with_rpf(build: Callable[[RiskParameterFile], Derived]) -> Callable[[RiskParameterFile], Derived]:
    """``build(rpf)`` once per RPF object; the same value for every later call on it."""
    kept: weakref.WeakKeyDictionary[RiskParameterFile, Derived] = weakref.WeakKeyDictionary()

    @functools.wraps(build)
    def derived(rpf: RiskParameterFile) -> Derived:
        try:
            return kept[rpf]
        except KeyError:
            value = kept[rpf] = build(rpf)
            return value

    return derived
