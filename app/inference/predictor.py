"""The inference stage as the routes see it: digits in, probabilities out, shared by every request.

:meth:`Predictor.start` warms the model up, decides where lone digits run, pins the event loop's
thread (``COLOCATE_INFERENCE``, see ``app.inference.affinity``) and starts the micro-batcher, whose
inference thread then shares that CPU. ``ready`` is true from then until :meth:`Predictor.drain`,
the one place that turns it off (at the shutdown signal, or when the app stops).

Each model version has a predictor of its own (``app.inference.repository``). When a newer one
takes over, the old one is :meth:`Predictor.retire`-d: the digits already queued run on it, its
thread ends, and a request that took it before the swap but predicts only afterwards (a slow
upload) is still answered by it, on the event loop, so it finishes on the version it started on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from app.config import Settings
from app.errors import ModelNotReadyError
from app.inference.affinity import pin_to_current_cpu, should_colocate, yield_to_event_loop
from app.inference.batching import BatchObserver, MicroBatcher
from app.inference.model import Model
from app.inference.runtimes import model_input
from mnist_format import NUM_CLASSES


@dataclass(frozen=True)
class Scores:
    """What the model says of each input: ``probabilities`` ``(n, 10)``, calibrated, and ``digit_score``
    ``(n,)``, the judge's P(the input is a digit) (1 where the model has no judge)."""

    probabilities: np.ndarray
    digit_score: np.ndarray

    @classmethod
    def of(cls, outputs: np.ndarray) -> Scores:
        """The runtime's outputs, ``(n, 10)`` or with the judge's column ``(n, 11)``, as scores."""
        if outputs.shape[1] == NUM_CLASSES:
            return cls(outputs, np.ones(len(outputs), dtype=outputs.dtype))
        return cls(outputs[:, :NUM_CLASSES], outputs[:, NUM_CLASSES])


class Predictor:
    def __init__(self, model: Model, settings: Settings) -> None:
        self.model = model
        self.name = model.name
        self.version = model.version
        tuned = model.judge.threshold if model.judge is not None else 0.0
        self.digit_threshold = tuned if settings.digit_threshold is None else settings.digit_threshold
        """Inputs whose digit score falls below this are answered as not a digit (``DIGIT_THRESHOLD``)."""
        self._settings = settings
        self._batcher: MicroBatcher | None = None
        self._draining = False
        self._retiring: asyncio.Task[None] | None = None
        self.single_digit_seconds = float("nan")  # timed in warm_up()
        self.inline_lone = False

    @property
    def ready(self) -> bool:
        return self._batcher is not None and not self._draining

    def warm_up(self) -> None:
        """Run every batch size once and time a lone digit; any thread (a new version warms up on
        the loading thread, off the event loop)."""
        settings = self._settings
        self.single_digit_seconds = self.model.warm_up(settings.max_batch_size)
        self.inline_lone = self.single_digit_seconds * 1e6 < settings.inline_max_us

    def start(self, observer: BatchObserver | None = None) -> None:
        """Warm up (unless done), then start the batcher. Call it on the event loop's thread."""
        settings = self._settings
        if self.single_digit_seconds != self.single_digit_seconds:  # NaN: not warmed up yet
            self.warm_up()
        colocated = should_colocate(settings.colocate_inference) and pin_to_current_cpu() is not None
        self._batcher = MicroBatcher(
            self.model.runtime,
            settings.max_batch_size,
            settings.batch_wait_ms / 1000,
            observer,
            thread_setup=yield_to_event_loop if colocated else None,
            inline_lone=self.inline_lone,
        )
        self._batcher.start()

    async def predict(self, digits: np.ndarray) -> Scores:
        """The scores of ``(n, 28, 28)`` inputs in 0-1, micro-batched with other requests."""
        assert self._batcher is not None, "start() the predictor before predicting"
        inputs = model_input(digits)
        if self._retiring is None:
            try:
                return Scores.of(await self._batcher.predict(inputs))
            except ModelNotReadyError:  # retired meanwhile (a large request, between two micro-batches)
                if self._retiring is None:
                    raise
        return Scores.of(await self._predict_retired(inputs))

    async def _predict_retired(self, inputs: np.ndarray) -> np.ndarray:
        """After a swap, for a request that took this version before it: once the inference thread has
        finished (so the runtime is free), run here, a micro-batch at a time."""
        assert self._retiring is not None
        await asyncio.shield(self._retiring)
        size, answers = self._settings.max_batch_size, []
        for start in range(0, len(inputs), size):
            answers.append(self.model.runtime.predict(inputs[start : start + size]))
            await asyncio.sleep(0)
        return np.concatenate(answers)

    def retire(self) -> asyncio.Task[None]:
        """Taken out of service by a newer version: not ready, the digits already queued finish on this
        version, then its thread ends. Call it on the event loop; the task ends with the thread."""
        self.drain()
        if self._retiring is None:
            self._retiring = asyncio.get_running_loop().create_task(self._stop_batcher())
        return self._retiring

    async def _stop_batcher(self) -> None:
        if self._batcher is not None:
            await self._batcher.stop()

    def drain(self) -> None:
        """Report not ready from now on (load balancers stop sending); requests in flight still finish."""
        self._draining = True

    async def stop(self) -> None:
        """Not ready at once, then finish the digits already queued."""
        self.drain()
        if self._retiring is not None:
            await asyncio.shield(self._retiring)
        elif self._batcher is not None:
            await self._batcher.stop()
