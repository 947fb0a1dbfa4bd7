"""What a long-running piece of work starts with, kept out of the garbage collector's passes.

A server's app (its schema, the modules, the caches' structures) and a command's container live
as long as the process. Every full collection walks them all again, although none of it is
garbage — and a busy request path or a 10,000-row import makes many: a page's young objects
live across several young collections and push the old generations over their thresholds.
``gc.freeze`` moves what exists now to a generation the collector never walks; new objects are
collected as before. Measured in ``bench/README.md`` (the collector took 13 % of a served page
of enrolments; a tenth of an import).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen() -> Iterator[None]:
    """What is alive on entry is left out of the collector's passes until the block ends
    (then given back, so that what it held can be collected when it is dropped). A block
    inside another (an import run by a serving process) leaves it to the outer one."""
    outermost = gc.get_freeze_count() == 0
    if outermost:
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        if outermost:
            gc.unfreeze()
