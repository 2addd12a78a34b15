"""Progress of long work: a bar on a terminal, plain log lines otherwise; the log's set-up."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("kg.progress")


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines on standard error: every ``kg`` command, and every process a command starts by spawning."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def progress(
    items: Iterable[T], *, total: int | None, desc: str, unit: str = "rows", every_s: float = 5.0,
    estimated: bool = False,
) -> Iterator[T]:
    """Yield ``items`` while showing progress on stderr."""
    return progress_counts(
        ((1, item) for item in items), total=total, desc=desc, unit=unit, every_s=every_s, estimated=estimated
    )


def progress_counts(
    items: Iterable[tuple[int, T]], *, total: int | None, desc: str, unit: str = "rows", every_s: float = 5.0,
    estimated: bool = False,
) -> Iterator[T]:
    """Yield the second part of each ``(count, item)`` pair, showing the sum of the counts as progress.

    An ``estimated`` total is shown as such in log lines; the bar ends at the true count.
    """
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=total, desc=desc, unit=f" {unit}", file=sys.stderr, dynamic_ncols=True) as bar:
            for count, item in items:
                if count:
                    bar.update(count)
                yield item
            if estimated:
                bar.total = bar.n
        return
    start = last = time.monotonic()
    done = 0
    for count, item in items:
        done += count
        yield item
        now = time.monotonic()
        if now - last >= every_s:
            last = now
            of = f"/{'~' if estimated else ''}{total}" if total else ""
            log.info("%s: %d%s %s (%.0f %s/s)", desc, done, of, unit, done / (now - start), unit)
    log.info("%s: %d %s in %.1f s", desc, done, unit, time.monotonic() - start)
