"""Running the inference thread on the event loop's CPU.

Handing a batch to a thread on another CPU means waking that CPU, and in a virtual machine a halted
virtual CPU takes tens of microseconds to wake; every request crosses twice (to the inference thread
and back), which cost more than the model itself. Between two threads on one CPU the same hand-off
is a context switch of a few microseconds, and since the GIL lets only one of them run Python at a
time, little parallelism is lost. The inference thread is also batch-scheduled, so that waking it
does not preempt the event loop: it runs when the loop waits for the network. Image decoding, which
releases the GIL for long stretches, keeps every CPU (``app.preprocessing.pool``).

Pinning a thread stops the kernel from moving it off a busy CPU, so it is only safe when the process
has its CPUs to itself: ``COLOCATE_INFERENCE=auto`` pins only when the process may use at most
:data:`AUTO_MAX_CPUS` CPUs (a small VM, or a container with a dedicated cpuset).
"""

from __future__ import annotations

import ctypes
import logging
import os

logger = logging.getLogger(__name__)

AUTO_MAX_CPUS = 2


def _current_cpu() -> int | None:
    try:
        cpu: int = ctypes.CDLL(None).sched_getcpu()
    except (OSError, AttributeError):  # not Linux
        return None
    return cpu if cpu >= 0 else None


def should_colocate(setting: str) -> bool:
    """``on``, ``off``, or for ``auto``: whether this process may run on few enough CPUs."""
    if setting == "auto":
        return hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) <= AUTO_MAX_CPUS
    return setting == "on"


def pin_to_current_cpu() -> set[int] | None:
    """Pin the calling thread to the CPU it runs on; threads it starts from now on inherit the pin.

    Returns the CPUs the thread was allowed before, or ``None`` where affinity is not supported.
    """
    cpu = _current_cpu()
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})  # 0: the calling thread
    return allowed


def yield_to_event_loop() -> None:
    """Batch-schedule the calling thread: same CPU share, but waking it never preempts the loop."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed
        logger.debug("inference thread keeps the normal scheduling policy (%s)", exc)
