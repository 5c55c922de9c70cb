"""Building a large structure that lives on, without the cyclic collector walking it.

Reading a flow makes some ten objects a step, checking a campaign a few a recipient;
all are kept and none is in a cycle. As they pile up, Python's cyclic collector walks
them again and again: half the time of reading a 10,000-step flow, and more the longer
the input, so the time per item grows with the input. The collector waits instead.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
