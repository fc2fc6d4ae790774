"""Keep the garbage collector's full passes short in long-running processes."""

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def startup_objects_frozen() -> Iterator[int]:
    """Put every object alive now out of the collector's reach while the block runs.

    A full (generation 2) pass of the collector walks every object it tracks, and stops the
    process while it does. Once the modules are loaded (FastAPI, SQLAlchemy, pydantic's
    schemas, temporalio) an API process holds some 200,000 of them: a full pass took about
    117 ms there, and 100 to 540 ms in the pilots' worker. Under load those pauses made the
    reads' p99 (docs/PERFORMANCE.md, "The garbage collector's pauses").

    What is loaded at start lives as long as the process, so it need never be walked:
    `gc.freeze()` moves it to a permanent generation. A full pass then walks only what came
    later: about 3 ms in the API. Objects made inside the block are collected as before;
    when it ends, the frozen ones are handed back to the collector (a test process starts
    many apps, and must not keep each one's garbage for good). Yields how many were frozen.
    """
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("froze %d objects loaded at start", frozen)
    try:
        yield frozen
    finally:
        gc.unfreeze()
