"""HMACs keyed once per secret: a carrier's signature check copies the keyed state for
each request instead of working out the key schedule again."""

from __future__ import annotations

import functools
import hmac


@functools.lru_cache(maxsize=16)
def keyed_hmac(secret: str, digest: str) -> hmac.HMAC:
    """The HMAC with ``secret`` as its key and ``digest`` ("sha1", "sha256") as its hash.

    Shared: call ``.copy()`` before ``update``.
    """
    return hmac.new(secret.encode(), digestmod=digest)
