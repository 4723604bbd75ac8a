"""Image uploads to digits, on a thread pool of their own.

On the shared default pool (40 threads), dozens of concurrent uploads fought over two cores and the
GIL and throughput fell as clients were added; a pool of ``PREPROCESS_THREADS`` (one per core) kept
PNG throughput flat from 1 to 64 clients. Decoding and normalising release the GIL for long
stretches, so the pool's threads may run on every CPU the process had when the pool was made, even
after the event loop's thread has been pinned to one (``app.inference.affinity``).
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app.preprocessing.decode import decode_grayscale
from app.preprocessing.normalize import normalize_digit


def image_to_digit(data: bytes, max_pixels: int) -> np.ndarray:
    """Image bytes of any format, size and polarity to an MNIST-style ``(28, 28)`` float32 in 0-1."""
    return normalize_digit(decode_grayscale(data, max_pixels))


class ImagePreprocessor:
    """Turns uploaded images into digits on ``threads`` threads; ``max_pixels`` bounds each image.

    Make it before the event loop's thread is pinned: its threads keep the CPUs allowed then.
    """

    def __init__(self, threads: int, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="preprocess", initializer=self._use_every_cpu)

    def _use_every_cpu(self) -> None:
        if self._cpus is not None:
            os.sched_setaffinity(0, self._cpus)

    async def digits(self, images: list[bytes]) -> np.ndarray:
        """``(n, 28, 28)`` digits from ``n`` images, in order."""
        loop = asyncio.get_running_loop()
        digits = await asyncio.gather(
            *(loop.run_in_executor(self._pool, image_to_digit, data, self.max_pixels) for data in images)
        )
        return np.stack(digits)

    def close(self) -> None:
        """Finish the images being worked on, then end the threads."""
        self._pool.shutdown(wait=True)
