"""Co-locating the inference thread with the event loop: when it applies, and what it sets."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.inference.affinity import pin_to_current_cpu, should_colocate, yield_to_event_loop
from app.main import create_app
from tests.support.images import encode_image
from tests.support.paths import SHIPPED_MODEL

T = TypeVar("T")
pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")


def on_new_thread(function: Callable[[], T]) -> T:
    """Run ``function`` on a thread of its own, so affinity and policy changes end with it."""
    results: list[T] = []
    thread = threading.Thread(target=lambda: results.append(function()))
    thread.start()
    thread.join()
    return results[0]


def test_auto_colocates_only_on_a_small_cpu_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert should_colocate("auto")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert not should_colocate("auto")
    assert should_colocate("on")
    assert not should_colocate("off")


def test_pinning_moves_only_the_calling_thread_and_can_be_undone() -> None:
    everywhere = os.sched_getaffinity(0)

    def pin_then_release() -> tuple[set[int] | None, set[int], set[int]]:
        before = pin_to_current_cpu()
        pinned = os.sched_getaffinity(0)
        assert before is not None
        os.sched_setaffinity(0, before)
        return before, pinned, os.sched_getaffinity(0)

    before, pinned, after = on_new_thread(pin_then_release)
    assert before == everywhere
    assert len(pinned) == 1
    assert pinned <= everywhere
    assert after == everywhere
    assert os.sched_getaffinity(0) == everywhere  # the test's own thread was never touched


def test_yielding_thread_is_batch_scheduled() -> None:
    def policy() -> int:
        yield_to_event_loop()
        return os.sched_getscheduler(0)

    assert on_new_thread(policy) == os.SCHED_BATCH
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def thread_ids(prefix: str) -> set[int]:
    return {thread.native_id for thread in threading.enumerate() if thread.name.startswith(prefix) and thread.native_id}


@pytest.mark.mnist
def test_inference_runs_on_the_event_loops_cpu_and_image_decoding_everywhere() -> None:
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[6:22, 12:16] = 255
    inference_before, preprocess_before = thread_ids("inference"), thread_ids("preprocess")
    with TestClient(create_app(Settings(model_path=SHIPPED_MODEL, colocate_inference="on"))) as client:
        response = client.post("/predict", files={"file": ("one.png", encode_image(digit), "image/png")})
        assert response.json()["digit"] == 1
        (inference,) = thread_ids("inference") - inference_before
        preprocess = thread_ids("preprocess") - preprocess_before
        assert len(os.sched_getaffinity(inference)) == 1
        assert os.sched_getscheduler(inference) == os.SCHED_BATCH
        assert preprocess
        assert all(os.sched_getaffinity(thread) == os.sched_getaffinity(0) for thread in preprocess)
