"""The micro-batcher: concurrent requests share batches, answers return to their owners in order,
failures reach only the requests of the failed batch, and stopping drains the queue."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import numpy as np
import pytest

from app.errors import InferenceError, ModelNotReadyError
from app.inference.batching import MicroBatcher

T = TypeVar("T")


class RecordingRuntime:
    """Answers each digit with a one-hot of its first pixel, and records the batch sizes it ran."""

    name = "recording"
    device = "CPU"

    def __init__(self, delay: float = 0.0, fail_on: int | None = None) -> None:
        self.batch_sizes: list[int] = []
        self.threads: list[str] = []  # the thread each call came in on
        self.delay = delay
        self.fail_on = fail_on
        self.release = threading.Event()
        self.release.set()

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        self.release.wait(timeout=5)  # bounded: a call that blocks the event loop fails the test, not hangs it
        self.batch_sizes.append(len(batch))
        labels = batch[:, 0, 0, 0].astype(int)
        if self.fail_on is not None and self.fail_on in labels:
            raise RuntimeError("simulated TensorFlow failure")
        one_hot: np.ndarray = np.eye(10, dtype=np.float32)[labels]
        return one_hot


def digits(*labels: int) -> np.ndarray:
    batch = np.zeros((len(labels), 28, 28, 1), dtype=np.float32)
    batch[:, 0, 0, 0] = labels
    return batch


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_concurrent_requests_are_batched_and_answered_in_order() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=64)
        batcher.start()
        runtime.release.clear()  # hold the first batch so the others queue behind it
        first = asyncio.ensure_future(batcher.predict(digits(0)))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher.predict(digits(label % 10, 9))) for label in range(1, 21)]
        await asyncio.sleep(0.05)
        runtime.release.set()
        results = await asyncio.gather(first, *rest)
        await batcher.stop()
        return results

    results = run(scenario())
    assert runtime.batch_sizes == [1, 40]  # the 20 queued requests ran as one batch
    assert results[0].argmax(axis=1).tolist() == [0]
    for label, result in enumerate(results[1:], start=1):
        assert result.argmax(axis=1).tolist() == [label % 10, 9]


def test_requests_submitted_in_one_pass_of_the_event_loop_run_as_one_batch() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=64)
        batcher.start()
        results = await asyncio.gather(*(batcher.predict(digits(label)) for label in range(10)))
        await batcher.stop()
        return results

    results = run(scenario())
    assert runtime.batch_sizes == [10]  # handed over together, though the thread was idle
    assert [result.argmax(axis=1).tolist() for result in results] == [[label] for label in range(10)]


def test_a_lone_request_runs_at_once_without_waiting_for_company() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> float:
        batcher = MicroBatcher(runtime, max_batch_size=64, max_wait_seconds=0.0)
        batcher.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await batcher.predict(digits(3))
        elapsed = loop.time() - started
        await batcher.stop()
        return elapsed

    assert run(scenario()) < 0.5
    assert runtime.batch_sizes == [1]


def test_large_requests_are_split_at_the_maximum_batch_size() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> np.ndarray:
        batcher = MicroBatcher(runtime, max_batch_size=4)
        batcher.start()
        result = await batcher.predict(digits(*range(10)))
        await batcher.stop()
        return result

    assert run(scenario()).argmax(axis=1).tolist() == list(range(10))
    assert max(runtime.batch_sizes) <= 4
    assert sum(runtime.batch_sizes) == 10


def test_a_large_request_shares_the_batcher_with_requests_that_arrive_meanwhile() -> None:
    """Its micro-batches are queued two at a time, so a later request runs between them, not after all."""
    runtime = RecordingRuntime()
    order: list[str] = []

    async def scenario() -> tuple[np.ndarray, np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=2)
        batcher.start()
        runtime.release.clear()  # hold the thread so that both requests are queued before anything runs
        large = asyncio.ensure_future(batcher.predict(digits(*range(8))))
        await asyncio.sleep(0)
        small = asyncio.ensure_future(batcher.predict(digits(9)))
        large.add_done_callback(lambda _: order.append("large"))
        small.add_done_callback(lambda _: order.append("small"))
        await asyncio.sleep(0.05)
        runtime.release.set()
        results = await asyncio.gather(large, small)
        await batcher.stop()
        return results[0], results[1]

    large, small = run(scenario())
    assert large.argmax(axis=1).tolist() == list(range(8))
    assert small.argmax(axis=1).tolist() == [9]
    assert order == ["small", "large"]
    assert max(runtime.batch_sizes) <= 2


@pytest.mark.parametrize("inline_lone", [False, True])
def test_inference_failure_reaches_only_its_batch(inline_lone: bool) -> None:
    runtime = RecordingRuntime(fail_on=7)

    async def scenario() -> tuple[BaseException | np.ndarray, np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=64, inline_lone=inline_lone)
        batcher.start()
        failed = await asyncio.gather(batcher.predict(digits(7)), return_exceptions=True)
        healthy = await batcher.predict(digits(2))
        await batcher.stop()
        return failed[0], healthy

    failed, healthy = run(scenario())
    assert isinstance(failed, InferenceError)
    assert failed.status_code == 500
    assert healthy.argmax(axis=1).tolist() == [2]


def test_stop_finishes_queued_requests_then_refuses_new_ones() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=2)
        batcher.start()
        runtime.release.clear()
        pending = [asyncio.ensure_future(batcher.predict(digits(label))) for label in range(6)]
        await asyncio.sleep(0.05)
        stopping = asyncio.ensure_future(batcher.stop())
        await asyncio.sleep(0.05)
        with pytest.raises(ModelNotReadyError):
            await batcher.predict(digits(1))
        runtime.release.set()
        results = await asyncio.gather(*pending)
        await stopping
        return results

    results = run(scenario())
    assert [result.argmax(axis=1).tolist() for result in results] == [[label] for label in range(6)]


def test_inline_lone_runs_a_lone_digit_on_the_event_loop() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> np.ndarray:
        batcher = MicroBatcher(runtime, max_batch_size=64, inline_lone=True)
        batcher.start()
        result = await batcher.predict(digits(3))
        await batcher.stop()
        return result

    assert run(scenario()).argmax(axis=1).tolist() == [3]
    assert runtime.threads == [threading.current_thread().name]  # asyncio.run's loop runs here


def test_inline_lone_leaves_company_and_multi_digit_requests_to_the_inference_thread() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=64, inline_lone=True)
        batcher.start()
        together = await asyncio.gather(batcher.predict(digits(1)), batcher.predict(digits(2)))
        several = await batcher.predict(digits(4, 5))
        await batcher.stop()
        return [*together, several]

    results = run(scenario())
    assert [result.argmax(axis=1).tolist() for result in results] == [[1], [2], [4, 5]]
    assert runtime.threads == ["inference", "inference"]
    assert runtime.batch_sizes == [2, 2]


def test_inline_lone_queues_behind_a_busy_inference_thread() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(runtime, max_batch_size=64, inline_lone=True)
        batcher.start()
        runtime.release.clear()  # the thread is held inside its batch
        busy = asyncio.ensure_future(batcher.predict(digits(0, 1)))
        await asyncio.sleep(0.05)
        lone = asyncio.ensure_future(batcher.predict(digits(6)))
        await asyncio.sleep(0.05)
        assert runtime.threads == ["inference"]  # not run here while the runtime is in use
        runtime.release.set()
        results = await asyncio.gather(busy, lone)
        await batcher.stop()
        return list(results)

    results = run(scenario())
    assert [result.argmax(axis=1).tolist() for result in results] == [[0, 1], [6]]
    assert runtime.threads == ["inference", "inference"]


def test_requests_cancelled_while_queued_are_skipped_and_given_back() -> None:
    runtime = RecordingRuntime()

    async def scenario() -> np.ndarray:
        batcher = MicroBatcher(runtime, max_batch_size=64, inline_lone=True)
        batcher.start()
        runtime.release.clear()
        busy = asyncio.ensure_future(batcher.predict(digits(0, 1)))
        await asyncio.sleep(0.05)
        abandoned = asyncio.ensure_future(batcher.predict(digits(2, 3)))
        await asyncio.sleep(0.05)
        abandoned.cancel()  # the client went away while its request queued
        runtime.release.set()
        await busy
        await asyncio.sleep(0.05)  # the thread gives the abandoned request back
        lone = await batcher.predict(digits(5))
        await batcher.stop()
        return lone

    assert run(scenario()).argmax(axis=1).tolist() == [5]
    assert runtime.batch_sizes == [2, 1]  # the abandoned request never ran
    assert runtime.threads == ["inference", threading.current_thread().name]  # thread idle again: inline
