"""The inference stage as the routes see it: digits in, probabilities out, shared by every request.

:meth:`Predictor.start` warms the model up, decides where lone digits run, pins the event loop's
thread (``COLOCATE_INFERENCE``, see ``app.inference.affinity``) and starts the micro-batcher, whose
inference thread then shares that CPU. ``ready`` is true from then until :meth:`Predictor.drain`,
the one place that turns it off (at the shutdown signal, or when the app stops).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.config import Settings
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
        self.single_digit_seconds = float("nan")  # timed in start()
        self.inline_lone = False

    @property
    def ready(self) -> bool:
        return self._batcher is not None and not self._draining

    def start(self, observer: BatchObserver | None = None) -> None:
        """Warm up, then start the batcher. Call it on the event loop's thread."""
        settings = self._settings
        self.single_digit_seconds = self.model.warm_up(settings.max_batch_size)
        self.inline_lone = self.single_digit_seconds * 1e6 < settings.inline_max_us
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
        return Scores.of(await self._batcher.predict(model_input(digits)))

    def drain(self) -> None:
        """Report not ready from now on (load balancers stop sending); requests in flight still finish."""
        self._draining = True

    async def stop(self) -> None:
        """Not ready at once, then finish the digits already queued."""
        self.drain()
        if self._batcher is not None:
            await self._batcher.stop()
