"""Progress of long work: a bar on a terminal, plain log lines otherwise; the log's set-up."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("kg.progress")
# how many items there are: known, unknown, or being counted (shown once counted)
Total = int | None | Future


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines on standard error: every ``kg`` command, and every process a command starts by spawning."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _known(total: Total) -> int | None:
    if isinstance(total, Future):
        return total.result() if total.done() and not total.exception() else None
    return total


def progress(
    items: Iterable[T], *, total: Total, desc: str, unit: str = "rows", every_s: float = 5.0
) -> Iterator[T]:
    """Yield ``items`` while showing progress on stderr."""
    return progress_counts(((1, item) for item in items), total=total, desc=desc, unit=unit, every_s=every_s)


def progress_counts(
    items: Iterable[tuple[int, T]], *, total: Total, desc: str, unit: str = "rows", every_s: float = 5.0
) -> Iterator[T]:
    """Yield the second part of each ``(count, item)`` pair, showing the sum of the counts as progress."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        counting = total if isinstance(total, Future) else None
        with tqdm(total=_known(total), desc=desc, unit=f" {unit}", file=sys.stderr, dynamic_ncols=True) as bar:
            for count, item in items:
                if count:
                    bar.update(count)
                    if counting is not None and counting.done():
                        bar.total, counting = _known(counting), None
                        bar.refresh()
                yield item
        return
    start = last = time.monotonic()
    done = 0
    for count, item in items:
        done += count
        yield item
        now = time.monotonic()
        if now - last >= every_s:
            last = now
            known = _known(total)
            of = f"/{known}" if known else ""
            log.info("%s: %d%s %s (%.0f %s/s)", desc, done, of, unit, done / (now - start), unit)
    log.info("%s: %d %s in %.1f s", desc, done, unit, time.monotonic() - start)
