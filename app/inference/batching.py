"""Adaptive micro-batching: digits from concurrent requests run through the model together.

One inference thread owns the runtime. Requests submit their digits and await a future; at the end
of each pass of the event loop, everything submitted during the pass is handed to the thread at
once, and whenever the thread is free it takes everything handed over (up to the maximum batch
size) as its next batch, runs it, and gives the answers of the whole batch back to the event loop in
one call. A lone client never waits for company, and under load the batches grow by themselves.
``max_wait`` optionally holds a batch open a little longer to gather more; measurements put its
best default at zero.

Inference stays off the event loop, so the server keeps accepting and parsing requests meanwhile.
Every hand-over wakes the other thread, which has to take the GIL from the event loop, so the design
keeps them few: one per pass of the loop, one per batch back. (The first design, an asyncio task
feeding ``run_in_executor``, woke the loop three times per batch and took about 100 us of its time
per request.)

A request of more digits than the maximum batch size (up to ``MAX_REQUEST_DIGITS``) is split into
micro-batches of that size, queued like any other request, at most :data:`CHUNKS_IN_FLIGHT` at a
time: the next is queued as one comes back, so requests arriving meanwhile take their place between
them instead of waiting for all of it, while the inference thread always has the next one at hand.

One exception, ``inline_lone``: a single digit submitted alone while the inference thread has
nothing to do runs right on the event loop. Used when a one-digit call costs less than the round
trip to the thread and back (TF Lite's 0.04 ms against about 0.07 ms on the machine this was
measured on): it blocks the loop for less time than the hand-over would have cost it, and a lone
client's request skips two thread switches.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.errors import InferenceError, ModelNotReadyError
from app.http.request_id import current_request_id
from app.inference.runtimes import Runtime

logger = logging.getLogger(__name__)

CHUNKS_IN_FLIGHT = 2
BatchObserver = Callable[[int, float, float], None]
"""Called after each batch with its size, the oldest request's queue wait and the inference time."""


@dataclass
class _Pending:
    digits: np.ndarray
    future: asyncio.Future[np.ndarray]
    enqueued: float = field(default_factory=time.perf_counter)
    request_id: str | None = field(default_factory=current_request_id.get)  # the thread runs outside it


class MicroBatcher:
    def __init__(
        self,
        runtime: Runtime,
        max_batch_size: int,
        max_wait_seconds: float = 0.0,
        observer: BatchObserver | None = None,
        thread_setup: Callable[[], None] | None = None,
        inline_lone: bool = False,
    ) -> None:
        self._runtime = runtime
        self._inline_lone = inline_lone
        self._thread_setup = thread_setup  # run first thing on the inference thread
        self._max_batch_size = max_batch_size
        self._max_wait = max_wait_seconds
        self._observer = observer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        # On the event loop: requests submitted during this pass of the loop, handed over together,
        # and how many requests the inference thread holds (handed over, not yet given back).
        self._submitted: list[_Pending] = []
        self._with_thread = 0
        # Between the two: lists of requests, and ``None`` to stop.
        self._handover: queue.SimpleQueue[list[_Pending] | None] = queue.SimpleQueue()
        # On the inference thread: requests handed over but not yet run.
        self._backlog: collections.deque[_Pending] = collections.deque()
        self._stopped = False

    def start(self) -> None:
        """Start the inference thread; answers go back to the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._serve, name="inference", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Refuse new work, finish everything already submitted, then end the thread."""
        self._closing = True
        if self._thread is not None:
            self._hand_over()
            self._handover.put(None)
            await asyncio.to_thread(self._thread.join)

    async def predict(self, digits: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 10)`` for float32 ``(n, 28, 28, 1)``, batched with other requests."""
        if self._closing or self._loop is None:
            raise ModelNotReadyError("the service is shutting down")
        if len(digits) <= self._max_batch_size:  # the common case: one future, no gather
            return await self._submit(digits)
        return await self._predict_in_chunks(digits)

    async def _predict_in_chunks(self, digits: np.ndarray) -> np.ndarray:
        """A large request as micro-batches, at most ``CHUNKS_IN_FLIGHT`` queued at a time, answers in order."""
        size = self._max_batch_size
        futures: list[asyncio.Future[np.ndarray]] = []
        try:
            for start in range(0, len(digits), size):
                if len(futures) >= CHUNKS_IN_FLIGHT:
                    await futures[-CHUNKS_IN_FLIGHT]
                if self._closing:  # the inference thread may be gone before the next chunk arrives
                    raise ModelNotReadyError("the service is shutting down")
                futures.append(self._submit(digits[start : start + size]))
            return np.concatenate([await future for future in futures])
        finally:
            for future in futures:  # after a failure, or the client went away: the rest is not wanted
                if not future.done():
                    future.cancel()
                elif not future.cancelled():
                    future.exception()  # retrieved, so asyncio does not report it as lost

    def _submit(self, digits: np.ndarray) -> asyncio.Future[np.ndarray]:
        """Queue digits for the hand-over that ends this pass of the event loop; their answer's future."""
        assert self._loop is not None
        future: asyncio.Future[np.ndarray] = self._loop.create_future()
        item = _Pending(digits, future)
        self._submitted.append(item)
        if len(self._submitted) == 1:
            self._loop.call_soon(self._hand_over)
        return future

    def _hand_over(self) -> None:
        """Wake the inference thread once for everything submitted during the last pass, or run a
        lone digit here if the thread is idle and ``inline_lone`` is set."""
        submitted, self._submitted = self._submitted, []
        if not submitted:
            return
        if self._inline_lone and not self._with_thread and len(submitted) == 1 and len(submitted[0].digits) == 1:
            # The thread is idle (it holds no requests), so the runtime is free to use here.
            _settle(submitted, self._run(submitted))
            return
        self._with_thread += len(submitted)
        self._handover.put(submitted)

    def _give_back(self, count: int, live: list[_Pending], outcome: np.ndarray | InferenceError | None) -> None:
        """On the event loop: the thread is done with ``count`` requests, of which ``live`` still wait
        (``outcome`` is ``None`` when none did)."""
        self._with_thread -= count
        if outcome is not None:
            _settle(live, outcome)

    def _run(self, batch: list[_Pending]) -> np.ndarray | InferenceError:
        """Run a batch through the model and record it: its probabilities, or the error for all of it."""
        inputs = batch[0].digits if len(batch) == 1 else np.concatenate([item.digits for item in batch])
        started = time.perf_counter()
        try:
            probabilities = self._runtime.predict(inputs)
        except Exception as exc:
            request_ids = ", ".join(item.request_id or "-" for item in batch)
            logger.exception("inference failed for a batch of %d digits; requests %s", len(inputs), request_ids)
            return InferenceError(f"inference failed: {type(exc).__name__}")
        if self._observer:
            self._observer(len(inputs), started - batch[0].enqueued, time.perf_counter() - started)
        return probabilities

    def _receive(self, timeout: float | None) -> bool:
        """Move handed-over requests into the backlog, waiting up to ``timeout`` (``None``: for ever)
        for the first list. False if none came, or once told to stop."""
        if timeout == 0 and self._handover.empty():
            return False
        try:
            handed = self._handover.get(timeout=timeout)
        except queue.Empty:
            return False
        while handed is not None:
            self._backlog.extend(handed)
            if self._handover.empty():
                return True
            handed = self._handover.get()
        self._stopped = True
        return False

    def _next_batch(self) -> list[_Pending] | None:
        """The next batch: what is waiting, up to the maximum batch size; ``None`` once stopped and done."""
        if not self._stopped:
            self._receive(timeout=0 if self._backlog else None)
        if not self._backlog:
            return None
        deadline = time.perf_counter() + self._max_wait
        while self._max_wait and not self._stopped and self._backlog_digits() < self._max_batch_size:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not self._receive(timeout=remaining):
                break
        batch = [self._backlog.popleft()]
        count = len(batch[0].digits)
        while self._backlog and count + len(self._backlog[0].digits) <= self._max_batch_size:
            item = self._backlog.popleft()
            batch.append(item)
            count += len(item.digits)
        return batch

    def _backlog_digits(self) -> int:
        return sum(len(item.digits) for item in self._backlog)

    def _serve(self) -> None:
        """The inference thread: run batches until stopped."""
        assert self._loop is not None
        if self._thread_setup:
            self._thread_setup()
        while (batch := self._next_batch()) is not None:
            live = [item for item in batch if not item.future.cancelled()]  # the client went away
            outcome = self._run(live) if live else None
            # Last: the event loop wakes wanting the GIL, which this thread gives up in _receive.
            self._loop.call_soon_threadsafe(self._give_back, len(batch), live, outcome)


def _settle(batch: list[_Pending], outcome: np.ndarray | InferenceError) -> None:
    """On the event loop: each request gets its own rows of the batch's answer, or the batch's error."""
    offset = 0
    for item in batch:
        count = len(item.digits)
        if not item.future.done():
            if isinstance(outcome, InferenceError):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome[offset : offset + count])
        offset += count
