"""Adaptive micro-batching: digits from concurrent requests run through the model together.

One inference thread runs one batch at a time. While it is busy, requests queue; when it is free,
it takes everything queued (up to the maximum batch size) as the next batch. A lone client never
waits for company, and under load the batches grow by themselves. ``max_wait`` optionally holds a
batch open a little longer to gather more; measurements put its best default at zero.

Inference stays off the event loop, so the server keeps accepting and parsing requests meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from app.errors import InferenceError, ModelNotReadyError
from app.request_id import current_request_id
from app.runtime import Runtime

logger = logging.getLogger(__name__)

BatchObserver = Callable[[int, float, float], None]
"""Called after each batch with its size, the oldest request's queue wait and the inference time."""


@dataclass
class _Pending:
    digits: np.ndarray
    future: asyncio.Future[np.ndarray]
    enqueued: float = field(default_factory=time.perf_counter)
    request_id: str | None = field(default_factory=current_request_id.get)  # the batcher runs outside it


class MicroBatcher:
    def __init__(
        self,
        runtime: Runtime,
        max_batch_size: int,
        max_wait_seconds: float = 0.0,
        observer: BatchObserver | None = None,
    ) -> None:
        self._runtime = runtime
        self._max_batch_size = max_batch_size
        self._max_wait = max_wait_seconds
        self._observer = observer
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._carried: _Pending | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._worker: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Refuse new work, finish everything already queued, then release the thread."""
        self._closing = True
        if self._worker is not None:
            self._queue.put_nowait(None)
            await self._worker
        self._executor.shutdown(wait=True)

    def run_sync(self, batch: np.ndarray) -> np.ndarray:
        """Run one batch on the inference thread's runtime, outside the queue (warm-up, checks)."""
        return self._executor.submit(self._runtime.predict, batch).result()

    async def predict(self, digits: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 10)`` for float32 ``(n, 28, 28, 1)``, batched with other requests."""
        if self._closing:
            raise ModelNotReadyError("the service is shutting down")
        loop = asyncio.get_running_loop()
        if len(digits) <= self._max_batch_size:  # the common case: no gather, one future
            future: asyncio.Future[np.ndarray] = loop.create_future()
            self._queue.put_nowait(_Pending(digits, future))
            return await future
        futures = []
        for start in range(0, len(digits), self._max_batch_size):
            chunk: asyncio.Future[np.ndarray] = loop.create_future()
            self._queue.put_nowait(_Pending(digits[start : start + self._max_batch_size], chunk))
            futures.append(chunk)
        return np.concatenate(await asyncio.gather(*futures))

    async def _next_batch(self) -> list[_Pending] | None:
        first = self._carried or await self._queue.get()
        self._carried = None
        if first is None:
            return None
        batch, count = [first], len(first.digits)
        deadline = time.perf_counter() + self._max_wait
        while count < self._max_batch_size:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if item is None:  # stop after this batch
                self._queue.put_nowait(None)
                break
            if count + len(item.digits) > self._max_batch_size:
                self._carried = item
                break
            batch.append(item)
            count += len(item.digits)
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while (batch := await self._next_batch()) is not None:
            live = [item for item in batch if not item.future.done()]  # drop cancelled requests
            if not live:
                continue
            inputs = live[0].digits if len(live) == 1 else np.concatenate([item.digits for item in live])
            started = time.perf_counter()
            try:
                probabilities = await loop.run_in_executor(self._executor, self._runtime.predict, inputs)
            except Exception as exc:
                request_ids = ", ".join(item.request_id or "-" for item in live)
                logger.exception("inference failed for a batch of %d digits; requests %s", len(inputs), request_ids)
                for item in live:
                    if not item.future.done():
                        item.future.set_exception(InferenceError(f"inference failed: {type(exc).__name__}"))
                continue
            finished = time.perf_counter()
            if self._observer:
                self._observer(len(inputs), started - live[0].enqueued, finished - started)
            offset = 0
            for item in live:
                count = len(item.digits)
                if not item.future.done():
                    item.future.set_result(probabilities[offset : offset + count])
                offset += count
