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

from app.preprocessing.candidates import Candidates
from app.preprocessing.number import NumberSegments, segment_image
from app.preprocessing.pipeline import read_image


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

    async def digits(self, images: list[bytes]) -> Candidates:
        """The model inputs worth trying for ``n`` images, in order."""
        loop = asyncio.get_running_loop()
        readings = await asyncio.gather(
            *(loop.run_in_executor(self._pool, read_image, data, self.max_pixels) for data in images)
        )
        return Candidates.of_readings(list(readings))

    async def number(self, image: bytes) -> NumberSegments:
        """The candidate digit segments of a number written in one image."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, segment_image, image, self.max_pixels)

    def close(self) -> None:
        """Finish the images being worked on, then end the threads."""
        self._pool.shutdown(wait=True)
