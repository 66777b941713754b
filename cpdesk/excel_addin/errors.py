"""What a cell shows when a function cannot answer, and where the details go.

Exceptions, as the functions raise them::

    CellError                 a short text for the cell, never a traceback
     ├── BadInput             "#VALUE! <reason>": an argument cpdesk cannot use
     └── Missing              "#N/A <reason>": data that is not there (a file, a loaded RPF)

Anything else a function raises is a fault of cpdesk's: the cell shows
"#VALUE! cpdesk error (see <log>)" and the traceback goes to :data:`LOG_PATH`
(``~/.cpdesk/excel-addin.log``, or ``CPDESK_EXCEL_LOG``).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

LOG_PATH = Path(os.environ.get("CPDESK_EXCEL_LOG", Path.home() / ".cpdesk" / "excel-addin.log"))
MAX_REASON = 200  # characters of a reason in a cell

F = TypeVar("F", bound=Callable[..., Any])


class CellError(Exception):
    prefix = "#VALUE!"

    @property
    def text(self) -> str:
        reason = " ".join(str(self).split())
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 1] + "…"
        return f"{self.prefix} {reason}"


class BadInput(CellError):
    prefix = "#VALUE!"


class Missing(CellError):
    prefix = "#N/A"


def _logger() -> logging.Logger:
    log = logging.getLogger("cpdesk.excel_addin")
    if not log.handlers:
        try:
            LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
            log.addHandler(logging.FileHandler(LOG_PATH, encoding="utf-8"))
        except OSError:
            log.addHandler(logging.NullHandler())
        log.propagate = False
    return log


def answered(func: F) -> F:
    """A worksheet function that answers every call: its result, or one cell of error text."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CellError as exc:
            return [[exc.text]]
        except Exception:
            _logger().exception("%s failed", func.__name__)
            return [[f"#VALUE! cpdesk error (see {LOG_PATH})"]]

    return wrapper  # type: ignore[return-value]
