"""Model versions: found in a repository directory, loaded and checked while serving, swapped in atomically.

``MODEL_PATH`` names a model file (``models/mnist.keras``), a directory holding one, or a repository
of versions laid out as TensorFlow Serving lays out SavedModels::

    models/repository/1/mnist.keras   (+ mnist.json, and optionally judge.keras + judge.json)
    models/repository/2/mnist.keras   ...

Version directories are named by positive integers; the greatest is the latest, served by default.
A new version is found by polling the directory every ``MODEL_POLL_S`` seconds, or on demand through
the Open Inference Protocol's repository extension (``POST /v2/repository/models/mnist/load``). It is
loaded, converted, checked (runtime equal to Keras, accuracy on the shipped check digits:
``app.inference.model``) and warmed up on a loading thread of its own, off the event loop and off
its CPU; only then does it take over, in one assignment on the event loop. A version that fails is
refused (logged, counted in ``/metrics``, shown in ``/model`` and v1's status) and the one serving
goes on serving.

Every loaded version has a :class:`~app.inference.predictor.Predictor` of its own, with its own
micro-batcher and inference thread. After a swap, new requests go to the new one, while the old one
is retired: the digits already queued run on it, its thread ends, and it is freed once no request
holds it (one that took it just before the swap is still answered by it). So no request fails and
every answer comes from the version the request started on. The newest ``MODEL_VERSIONS_KEPT``
versions stay loaded (``/v1/models/mnist/versions/{v}``, ``/v2/models/mnist/versions/{v}`` reach
them); older ones are unloaded, so memory stays bounded however many swaps there are.

The alternative, one batcher whose runtime is swapped between batches, saves a thread but cannot
serve two versions side by side, and an answer could then come from a version other than the one
its response names. A second inference thread costs nothing while idle, and the two are busy
together only while the old version finishes the digits already queued on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from app.config import Settings
from app.errors import ModelLoadError
from app.inference.affinity import yield_to_event_loop
from app.inference.batching import BatchObserver
from app.inference.model import Model, read_metadata
from app.inference.predictor import Predictor
from mnist_format import MODEL_FILE, MODEL_NAME

logger = logging.getLogger(__name__)


class VersionState(StrEnum):
    """A version's life, as TensorFlow Serving reports it (a refused version ends as ``END`` with an error)."""

    LOADING = "LOADING"
    AVAILABLE = "AVAILABLE"
    UNLOADING = "UNLOADING"
    END = "END"


@dataclass
class ModelVersion:
    """One version and where it stands."""

    version: str
    path: Path
    state: VersionState = VersionState.LOADING
    error: str | None = None
    """Why it was refused (or ``None``)."""
    predictor: Predictor | None = None
    loaded_at: float | None = None
    last_served: float = 0.0

    def describe(self) -> dict[str, object]:
        described: dict[str, object] = {"version": self.version, "state": self.state.value}
        if self.error is not None:
            described["error"] = self.error
        if self.predictor is not None and self.predictor.model.check_accuracy is not None:
            described["check_accuracy"] = round(self.predictor.model.check_accuracy, 4)
        return described


def is_repository(path: Path) -> bool:
    """Whether ``path`` is a directory of versions rather than a model file or a directory holding one."""
    return path.is_dir() and not (path / MODEL_FILE).is_file()


def version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


class ModelRepository:
    """The loaded versions of the model, which one is served, and the loading of new ones.

    ``on_swap`` is called on the event loop with the newly served predictor; ``observer`` is every
    version's batch observer (metrics); ``on_load`` is called after every load, with the version,
    refused (``state`` ``END``) or not.
    """

    def __init__(
        self,
        settings: Settings,
        on_swap: Callable[[Predictor], None],
        observer: BatchObserver | None = None,
        on_load: Callable[[ModelVersion], None] | None = None,
    ) -> None:
        self._settings = settings
        self.path = settings.model_path
        self.is_repository = is_repository(self.path)
        self.poll_seconds = settings.model_poll_s if settings.model_poll_s is not None else 30.0
        if not self.is_repository and settings.model_poll_s is None:
            self.poll_seconds = 0.0  # a single file is polled only when asked to
        self.kept = settings.model_versions_kept
        self.versions: dict[str, ModelVersion] = {}
        self.served: ModelVersion | None = None
        self.last_failure: ModelVersion | None = None
        self._on_swap = on_swap
        self._observer = observer
        self._on_load = on_load
        self._initial: tuple[ModelVersion, Predictor] | None = None
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        # Created now, before the event loop's thread is pinned (``app.inference.affinity``), and
        # started later: its thread takes the CPUs the process had, so loading stays off the loop's CPU.
        self._cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="model-loader", initializer=self._loader_setup)

    def _loader_setup(self) -> None:
        if self._cpus is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, self._cpus)
        yield_to_event_loop()  # batch-scheduled: a load never preempts the event loop

    # What is on disk

    def discover(self) -> dict[str, Path]:
        """The versions on disk, oldest first: version -> model file."""
        if not self.is_repository:
            path = self.path / MODEL_FILE if self.path.is_dir() else self.path
            try:
                version = read_metadata(path).version
            except ModelLoadError:
                version = "0"
            return {version: path}
        found = {
            child.name: child / MODEL_FILE
            for child in self.path.iterdir()
            if child.name.isdigit() and int(child.name) > 0 and child.is_dir()
        }
        return {version: found[version] for version in sorted(found, key=version_key)}

    def latest_on_disk(self) -> tuple[str, Path] | None:
        found = self.discover()
        if not found:
            return None
        version = max(found, key=version_key)
        return version, found[version]

    # Loading

    def _load(self, version: str, path: Path, elsewhere: bool = True) -> Predictor:
        """On the loading thread: load, convert (``elsewhere``: in a process of its own), check and warm
        up one version."""
        started = time.monotonic()
        served_as = version if self.is_repository else None
        if elsewhere:
            with tempfile.TemporaryDirectory(prefix="mnist-convert-") as work:
                model = Model.load_file(path, self._settings, served_as, Path(work))
        else:
            model = Model.load_file(path, self._settings, served_as)
        predictor = Predictor(model, self._settings)
        predictor.warm_up()
        if not elsewhere or model.runtime.name != "tflite":
            gc.collect()  # the Keras model and the converter's graph are cycles: free them now
        logger.info(
            "model version %s loaded from %s in %.1f s: %s, max difference from Keras %.1g, accuracy %.2f%% on "
            "the shipped check digits",
            model.version,
            path,
            time.monotonic() - started,
            model.runtime.name,
            model.max_difference,
            100 * (model.check_accuracy or 0.0),
        )
        return predictor

    def load_initial(self) -> Predictor:
        """At startup: the latest version that loads, warmed up; :meth:`start` serves it.

        In a repository, newer versions that fail are recorded as refused; if none loads, the first
        failure is raised.
        """
        found = self.discover()
        if not found:
            raise ModelLoadError(f"{self.path}: no model versions (expected {self.path}/<version>/{MODEL_FILE})")
        error: ModelLoadError | None = None
        for version in sorted(found, key=version_key, reverse=True):
            entry = self.versions[version] = ModelVersion(version, found[version])
            try:
                predictor = self._load(version, found[version], elsewhere=False)  # nothing to stall yet
            except ModelLoadError as exc:
                if not self.is_repository:
                    raise
                self._refuse(entry, exc)
                error = error or exc
                continue
            self._initial = entry, predictor
            return predictor
        assert error is not None
        raise error

    def start(self) -> None:
        """On the event loop: start the version :meth:`load_initial` loaded, serve it, start polling."""
        assert self._initial is not None, "load_initial() first"
        entry, predictor = self._initial
        self._initial = None
        predictor.start(self._observer)
        self._serve(entry, predictor)
        if self.poll_seconds > 0:
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def load(self, version: str | None = None) -> ModelVersion:
        """Load ``version`` (default: the latest on disk) and serve it; one load at a time.

        An available version is served at once. Returns the version, refused or not (``state``
        ``END`` with ``error`` when refused); raises ``KeyError`` for a version not on disk.
        """
        async with self._lock:
            found = self.discover()
            if version is None:
                if not found:
                    raise KeyError("no versions on disk")
                version = max(found, key=version_key)
            if version not in found:
                raise KeyError(version)
            entry = self.versions.get(version)
            if entry is not None and entry.state is VersionState.AVAILABLE and self.is_repository:
                assert entry.predictor is not None
                self._serve(entry, entry.predictor)
                return entry
            return await self._load_and_serve(version, found[version])

    async def _load_and_serve(self, version: str, path: Path) -> ModelVersion:
        previous = self.versions.get(version)
        entry = ModelVersion(version, path)
        # A single file reloaded under the same version keeps its entry (and serves) until the new one is in.
        replacing = previous is not None and previous.state is VersionState.AVAILABLE
        if not replacing:
            self.versions[version] = entry
        logger.info("loading model version %s from %s", version, path)
        loop = asyncio.get_running_loop()
        try:
            predictor = await loop.run_in_executor(self._loader, self._load, version, path)
        except Exception as exc:  # ModelLoadError, or anything else a broken file makes Keras or TF Lite raise
            error = exc if isinstance(exc, ModelLoadError) else ModelLoadError(f"{path}: {type(exc).__name__}: {exc}")
            self._refuse(entry, error)
            return entry
        predictor.start(self._observer)
        if self._on_load is not None:
            self._on_load(entry)
        if replacing:
            assert previous is not None
            self.versions[version] = entry
            self._retire(previous)
        self._serve(entry, predictor)
        return entry

    def _refuse(self, entry: ModelVersion, exc: Exception) -> None:
        entry.state, entry.error = VersionState.END, str(exc)
        self.last_failure = entry
        served = self.served.version if self.served is not None else "none"
        logger.error("model version %s refused (still serving version %s): %s", entry.version, served, exc)
        if self._on_load is not None:
            self._on_load(entry)

    def _serve(self, entry: ModelVersion, predictor: Predictor) -> None:
        """Make ``entry`` the served version (one assignment, on the event loop), then unload the
        versions beyond ``MODEL_VERSIONS_KEPT``."""
        entry.predictor, entry.state = predictor, VersionState.AVAILABLE
        entry.loaded_at = entry.loaded_at or time.time()
        entry.last_served = time.monotonic()
        previous, self.served = self.served, entry
        self._on_swap(predictor)
        if previous is not None and previous is not entry:
            logger.info("now serving model version %s (was %s)", entry.version, previous.version)
        available = [v for v in self.versions.values() if v.state is VersionState.AVAILABLE and v is not entry]
        available.sort(key=lambda v: v.last_served, reverse=True)
        for old in available[max(self.kept - 1, 0) :]:
            self._retire(old)

    def _retire(self, entry: ModelVersion) -> None:
        """Unload a version: queued digits finish on it, then its thread ends and it is dropped."""
        predictor = entry.predictor
        if predictor is None:
            return
        entry.state = VersionState.UNLOADING
        task = predictor.retire()
        finish = asyncio.get_running_loop().create_task(self._finish_retiring(entry, task))
        self._retiring.add(finish)
        finish.add_done_callback(self._retiring.discard)

    async def _finish_retiring(self, entry: ModelVersion, task: asyncio.Task[None]) -> None:
        await task
        if entry.state is VersionState.UNLOADING:
            entry.state = VersionState.END
        entry.predictor = None  # freed once no request holds it
        logger.info("model version %s unloaded", entry.version)

    # Looking up

    @property
    def served_name(self) -> str:
        """The model's name (``mnist``), as the served version's metadata gives it."""
        if self.served is None or self.served.predictor is None:
            return MODEL_NAME
        return self.served.predictor.name

    def predictor(self, version: str) -> Predictor | None:
        """The predictor of an available version, or ``None``."""
        entry = self.versions.get(version)
        if entry is None or entry.state is not VersionState.AVAILABLE:
            return None
        return entry.predictor

    def statuses(self) -> list[ModelVersion]:
        """Every version seen, newest first."""
        return sorted(self.versions.values(), key=lambda v: version_key(v.version), reverse=True)

    # Polling

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.poll_once()
            except Exception:
                logger.exception("polling %s for model versions failed", self.path)

    async def poll_once(self) -> ModelVersion | None:
        """Load the latest version on disk if it is new: never seen, or (a single file) changed."""
        latest = await asyncio.to_thread(self.latest_on_disk)
        if latest is None:
            return None
        version = latest[0]
        known = self.versions.get(version)
        if known is not None and self.is_repository:
            return None  # loaded, loading, or refused already: ask for it by name to retry
        if known is not None and not self._changed(known):
            return None
        return await self.load(version)

    def _changed(self, known: ModelVersion) -> bool:
        """For a single file: whether it differs from the one loaded (its sha256)."""
        if known.predictor is None:
            return False
        import hashlib

        try:
            return hashlib.sha256(known.path.read_bytes()).hexdigest() != known.predictor.model.sha256
        except OSError:
            return False

    async def close(self) -> None:
        """Stop polling and loading, and stop every version's batcher (queued digits finish)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for entry in list(self.versions.values()):
            if entry.predictor is not None:
                await entry.predictor.stop()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        self._loader.shutdown(wait=False, cancel_futures=True)
