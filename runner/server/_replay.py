"""Requests already answered: a verified request that comes again gets the answer the
first one got, and has no second effect.

A carrier re-sends a webhook that failed or was slow (Twilio's retries repeat the
request; Telnyx documents duplicates), and an attacker may copy a signed one. Either way
the copy is the same delivery: it is answered with the first answer, which stops a retry
from hanging up a live call, and the handler never runs for it. A copy that arrives while
the first is still being answered waits for that answer.

Bounded two ways. By time: an answer is kept for at least ``window`` seconds, in slices
of a tenth of the window each, so forgetting is one dictionary dropped, not a walk.
By memory: past ``max_bytes`` the oldest slice goes first, and ``held_seconds`` says how
far back the cache still reaches. Answers are kept deflated with the answer made just
before their slice as the dictionary: documents differ mostly in ids and tokens, so a
500-byte document keeps in about 50 bytes, and ten minutes at full speed fit in a GB
(bench/replay_cache.py). A restart forgets everything: the call service's own
state (the carrier call ids it has seen, the events each call has had) is what stops a
second effect after one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

logger = logging.getLogger("callflow.server")

#: How long a verified request is remembered. Telnyx refuses timestamps older than
#: 300 s; ten minutes covers that and the carriers' retry windows.
REPLAY_WINDOW_SECONDS = 600.0
#: The memory the remembered answers may take by default.
REPLAY_MAX_BYTES = 1 << 30
#: What one entry costs beyond its answer: the key (a 16-byte digest as a bytes object),
#: its slot in a slice's dictionary, and a bytes object's header. Measured with
#: bench/replay_cache.py.
ENTRY_BYTES = 49 + 72 + 33
_SLICES = 10
#: How many recent answers make the next slice's deflate dictionary: one deflates as
#: well as four and sets up faster.
_MODEL_ANSWERS = 1
_MODEL_MAX_BYTES = 32 * 1024

A = TypeVar("A")


@dataclass
class _Slice(Generic[A]):
    started: float
    #: The deflate dictionary its packed answers were made with.
    model: bytes
    #: Answers packed as deflated bytes, or kept as they are.
    answers: dict[bytes, A | bytes] = field(default_factory=dict)
    bytes: int = 0


class ReplayCache(Generic[A]):
    """Answers by the text their request's signature covers (see ``key``).

    ``pack`` turns an answer into bytes to keep deflated (None keeps the answer as it
    is, and ``size_of`` tells what it takes); ``unpack`` turns those bytes back.
    """

    def __init__(
        self,
        pack: Callable[[A], bytes | None],
        unpack: Callable[[bytes], A],
        size_of: Callable[[A], int],
        *,
        window: float = REPLAY_WINDOW_SECONDS,
        max_bytes: int = REPLAY_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.max_bytes = max_bytes
        self.clock = clock
        self._pack = pack
        self._unpack = unpack
        self._size_of = size_of
        self._recent: deque[bytes] = deque(maxlen=_MODEL_ANSWERS)
        self._slice_seconds = window / _SLICES
        self._slices: deque[_Slice[A]] = deque()
        self._pending: dict[bytes, asyncio.Future[A]] = {}
        self._bytes = 0
        #: Answers forgotten before their window was over, to stay under ``max_bytes``.
        self.forgotten_early = 0

    @staticmethod
    def key(signed: bytes) -> bytes:
        """What identifies a delivery: a digest of the text its signature covers."""
        return hashlib.blake2b(signed, digest_size=16).digest()

    async def answer_once(self, key: bytes, produce: Callable[[], Awaitable[A]]) -> tuple[A, bool]:
        """The answer to the request named ``key``, and whether it was answered before.

        The first time, ``produce()`` makes the answer and it is remembered; if it raises,
        nothing is remembered and the error goes to this request and any copy waiting.
        """
        now = self.clock()
        self._forget_older_than(now - self.window)
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending), True
        for part in self._slices:
            if key in part.answers:
                kept = part.answers[key]
                if isinstance(kept, bytes):
                    return self._unpack(_inflate(kept, part.model)), True
                return kept, True
        future: asyncio.Future[A] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await produce()
        except BaseException as error:
            del self._pending[key]
            future.set_exception(error)
            # Marks the error as seen: nobody may be waiting for it.
            future.exception()
            raise
        del self._pending[key]
        future.set_result(answer)
        self._remember(key, answer, self.clock())
        return answer, False

    @property
    def held_seconds(self) -> float:
        """How far back the oldest remembered answer goes (0 when there is none)."""
        return self.clock() - self._slices[0].started if self._slices else 0.0

    @property
    def size(self) -> int:
        """The memory the remembered answers take, in bytes, as counted for ``max_bytes``."""
        return self._bytes

    def __len__(self) -> int:
        return sum(len(part.answers) for part in self._slices)

    def _remember(self, key: bytes, answer: A, now: float) -> None:
        if (
            not self._slices
            or now - self._slices[-1].started >= self._slice_seconds
            # The first slice has no answers before it to deflate with: it ends early.
            or (not self._slices[-1].model and len(self._recent) == _MODEL_ANSWERS)
        ):
            self._slices.append(_Slice(now, b"".join(self._recent)[-_MODEL_MAX_BYTES:]))
        newest = self._slices[-1]
        packed = self._pack(answer)
        kept: A | bytes
        if packed is None:
            kept, size = answer, ENTRY_BYTES + self._size_of(answer)
        else:
            self._recent.append(packed)
            kept = _deflate(packed, newest.model)
            size = ENTRY_BYTES + len(kept)
        newest.answers[key] = kept
        newest.bytes += size
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._slices) > 1:
            oldest = self._slices.popleft()
            self._bytes -= oldest.bytes
            self.forgotten_early += len(oldest.answers)
            logger.warning(
                "the replay cache is over %d MB: it now holds %.0f s of requests, not %.0f "
                "(raise webhook_security.replay_cache_mb)",
                self.max_bytes >> 20,
                self.held_seconds,
                self.window,
            )

    def _forget_older_than(self, oldest: float) -> None:
        # A slice goes once its newest possible entry is older than the window.
        while self._slices and self._slices[0].started + self._slice_seconds < oldest:
            self._bytes -= self._slices.popleft().bytes


def _deflate(data: bytes, model: bytes) -> bytes:
    # Raw deflate at level 1 with the smallest state: about 5 µs for a document.
    if model:
        squeeze = zlib.compressobj(1, zlib.DEFLATED, -15, 1, zdict=model)
    else:
        squeeze = zlib.compressobj(1, zlib.DEFLATED, -15, 1)
    return squeeze.compress(data) + squeeze.flush()


def _inflate(data: bytes, model: bytes) -> bytes:
    stretch = zlib.decompressobj(-15, zdict=model) if model else zlib.decompressobj(-15)
    return stretch.decompress(data)
