"""The sync and async clients: :class:`DigitClient` and :class:`AsyncDigitClient`.

Both keep one pool of keep-alive connections for their lifetime: use them as (async) context
managers, or call ``close()``, and share one client between calls rather than making one per call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

import httpx

from digit_client._core import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    RETRIED_TRANSPORT_ERRORS,
    Encoded,
    ImageInput,
    RetryPolicy,
    as_image_file,
    as_list,
    batch_body,
    client_headers,
    encode,
    error_from,
    json_object,
    limits_of,
    multipart_body,
    plan_batches,
    predict_body,
    should_split,
)
from digit_client.errors import DigitServiceError, DigitTransportError, UnauthorizedError, UnknownServiceError
from digit_client.models import Health, ModelInfo, NumberReading, Prediction

if TYPE_CHECKING:  # Python 3.11+, and the client also runs on 3.10
    from typing import Unpack


async def _all_or_none(calls: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run ``calls`` concurrently; when one fails, cancel the others and raise its error."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _complete(results: list[Prediction | None]) -> list[Prediction]:
    answered = [result for result in results if result is not None]
    if len(answered) != len(results):
        raise UnknownServiceError(f"{len(results) - len(answered)} of {len(results)} digits got no prediction")
    return answered


_HTTP = TypeVar("_HTTP", httpx.Client, httpx.AsyncClient)


class ClientOptions(TypedDict, total=False):
    """The keyword options of both clients' constructors (see :class:`DigitClient`)."""

    retries: int
    backoff: float
    max_connections: int
    headers: dict[str, str] | None


class _Base(Generic[_HTTP]):
    """The constructor, settings and parsing shared by both clients; ``_http_class`` is their httpx client."""

    _http_class: type[_HTTP]

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        *,
        retries: int = 3,
        backoff: float = 0.25,
        max_connections: int = 10,
        headers: dict[str, str] | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.url = url.rstrip("/")
        self.retry = RetryPolicy(retries=retries, backoff=backoff)
        self._http: _HTTP = self._http_class(
            base_url=self.url,
            headers=client_headers(api_key, headers),
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=30.0
            ),
        )
        self._limits: tuple[int, int] | None = None

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex

    def _transport_error(self, method: str, path: str, exc: Exception, attempts: int) -> DigitTransportError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return DigitTransportError(f"{method} {self.url}{path} failed{tries}: {type(exc).__name__}: {exc}")

    @staticmethod
    def _predictions(response: httpx.Response, expected: int) -> list[Prediction]:
        items = json_object(response).get("predictions")
        if not isinstance(items, list) or len(items) != expected:
            raise UnknownServiceError(f"expected {expected} predictions, got {items!r:.100}", "", response.status_code)
        return [Prediction.from_json(item) for item in items]

    def _limits_or_default(self, error: DigitServiceError | None, info: ModelInfo | None) -> tuple[int, int]:
        if info is not None:
            self._limits = limits_of(info.limits)
            return self._limits
        if isinstance(error, UnauthorizedError):
            raise error
        limits = limits_of({})
        if error is not None and error.status == 404:
            self._limits = limits  # an older service without /model: do not ask again
        return limits

    def _learn(self, error: DigitServiceError, count: int) -> None:
        """Too many digits for one request (413 ``batch_too_large``, or too many files): ask for fewer from now on."""
        if error.code != "payload_too_large" and self._limits is not None:
            self._limits = (max(1, min(self._limits[0], count // 2)), self._limits[1])


class DigitClient(_Base[httpx.Client]):
    """A client for the digit service.

    ``url`` is where it runs; ``api_key`` is sent as ``Authorization: Bearer <key>`` when the service
    requires one; ``timeout`` is seconds per request (or an ``httpx.Timeout``). A 503 or a failed
    connection is tried again up to ``retries`` times, after a random wait of up to ``backoff``
    seconds, doubling each time (or as long as the service's ``Retry-After`` says); other errors
    are raised at once as the :mod:`digit_client.errors` class of their code.

    >>> with DigitClient("http://localhost:8000") as digits:
    ...     digits.predict("photo.jpg").digit
    """

    _http_class = httpx.Client

    def __enter__(self) -> DigitClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def predict(self, image: ImageInput, *, explain: bool = False) -> Prediction:
        """One digit from an image (a path, bytes or a binary file) or MNIST pixels (a 28x28 or 784 array).

        ``explain=True`` also returns the 28x28 image the model saw, as PNG bytes in ``input_png``.
        """
        params = {"explain": "true"} if explain else None
        response = self._send("POST", "/predict", params=params, **predict_body(encode(image)))
        return Prediction.from_json(json_object(response))

    def predict_batch(self, images: Iterable[ImageInput], *, batch_size: int | None = None) -> list[Prediction]:
        """One prediction per image, in order, in as few requests as the service's limits allow.

        Images and arrays may be mixed; a 3-D array is a batch of 28x28 digits. The requests are
        split by the service's ``max_request_digits`` (from ``GET /model``; 64 if it does not say) or
        ``batch_size``, by its body limit, and in halves again if the service still answers 413.
        """
        items = [encode(image) for image in as_list(images)]
        if not items:
            return []
        max_digits, max_body = self._request_limits()
        results: list[Prediction | None] = [None] * len(items)
        for group in plan_batches(items, batch_size or max_digits, max_body):
            self._predict_group(items, group, results)
        return _complete(results)

    def read_number(self, image: ImageInput) -> NumberReading:
        """The digits of a number written in one image (a form field, a meter, a cheque), left to right."""
        response = self._send("POST", "/predict/number", **multipart_body([as_image_file(image)]))
        return NumberReading.from_json(json_object(response))

    def health(self) -> Health:
        """The service's status; raises :class:`~digit_client.errors.ModelNotReadyError` while it is not ready.

        Not retried on 503: a health check wants the state now.
        """
        return Health.from_json(json_object(self._send("GET", "/health", retry_503=False)))

    def model(self) -> ModelInfo:
        """The served model's metadata, and the service's request limits."""
        info = ModelInfo.from_json(json_object(self._send("GET", "/model")))
        self._limits = limits_of(info.limits)
        return info

    def _request_limits(self) -> tuple[int, int]:
        if self._limits is not None:
            return self._limits
        try:
            return self._limits_or_default(None, self.model())
        except DigitServiceError as error:
            return self._limits_or_default(error, None)

    def _predict_group(self, items: Sequence[Encoded], group: list[int], results: list[Prediction | None]) -> None:
        try:
            response = self._send("POST", "/predict/batch", **batch_body([items[i] for i in group]))
        except DigitServiceError as error:
            if not should_split(error, len(group)):
                raise
            self._learn(error, len(group))
            half = len(group) // 2
            self._predict_group(items, group[:half], results)
            self._predict_group(items, group[half:], results)
            return
        for index, prediction in zip(group, self._predictions(response, len(group)), strict=True):
            results[index] = prediction

    def _send(self, method: str, path: str, *, retry_503: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {"X-Request-ID": self._request_id(), **kwargs.pop("headers", {})}
        attempts = self.retry.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except RETRIED_TRANSPORT_ERRORS as exc:
                if last:
                    raise self._transport_error(method, path, exc, attempts) from exc
                time.sleep(self.retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:
                raise self._transport_error(method, path, exc, 1) from exc
            if response.status_code == 503 and retry_503 and not last:
                time.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            if response.is_error:
                raise error_from(response)
            return response
        raise AssertionError("unreachable")


class AsyncDigitClient(_Base[httpx.AsyncClient]):
    """The asyncio twin of :class:`DigitClient`: the same options and methods, awaited.

    ``predict_batch`` sends up to ``concurrency`` of its requests at once.

    >>> async with AsyncDigitClient("http://localhost:8000") as digits:
    ...     (await digits.predict("photo.jpg")).digit
    """

    _http_class = httpx.AsyncClient

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        *,
        concurrency: int = 4,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(url, api_key, timeout, **options)
        self.concurrency = max(1, concurrency)

    async def __aenter__(self) -> AsyncDigitClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def predict(self, image: ImageInput, *, explain: bool = False) -> Prediction:
        """See :meth:`DigitClient.predict`."""
        params = {"explain": "true"} if explain else None
        response = await self._send("POST", "/predict", params=params, **predict_body(encode(image)))
        return Prediction.from_json(json_object(response))

    async def predict_batch(self, images: Iterable[ImageInput], *, batch_size: int | None = None) -> list[Prediction]:
        """See :meth:`DigitClient.predict_batch`; the requests run ``concurrency`` at a time."""
        items = [encode(image) for image in as_list(images)]
        if not items:
            return []
        max_digits, max_body = await self._request_limits()
        results: list[Prediction | None] = [None] * len(items)
        gate = asyncio.Semaphore(self.concurrency)
        groups = plan_batches(items, batch_size or max_digits, max_body)
        await _all_or_none(self._predict_group(items, group, results, gate) for group in groups)
        return _complete(results)

    async def read_number(self, image: ImageInput) -> NumberReading:
        """See :meth:`DigitClient.read_number`."""
        response = await self._send("POST", "/predict/number", **multipart_body([as_image_file(image)]))
        return NumberReading.from_json(json_object(response))

    async def health(self) -> Health:
        """See :meth:`DigitClient.health`."""
        return Health.from_json(json_object(await self._send("GET", "/health", retry_503=False)))

    async def model(self) -> ModelInfo:
        """See :meth:`DigitClient.model`."""
        info = ModelInfo.from_json(json_object(await self._send("GET", "/model")))
        self._limits = limits_of(info.limits)
        return info

    async def _request_limits(self) -> tuple[int, int]:
        if self._limits is not None:
            return self._limits
        try:
            return self._limits_or_default(None, await self.model())
        except DigitServiceError as error:
            return self._limits_or_default(error, None)

    async def _predict_group(
        self,
        items: Sequence[Encoded],
        group: list[int],
        results: list[Prediction | None],
        gate: asyncio.Semaphore,
    ) -> None:
        try:
            async with gate:
                response = await self._send("POST", "/predict/batch", **batch_body([items[i] for i in group]))
        except DigitServiceError as error:
            if not should_split(error, len(group)):
                raise
            self._learn(error, len(group))
            half = len(group) // 2
            await _all_or_none(
                [
                    self._predict_group(items, group[:half], results, gate),
                    self._predict_group(items, group[half:], results, gate),
                ]
            )
            return
        for index, prediction in zip(group, self._predictions(response, len(group)), strict=True):
            results[index] = prediction

    async def _send(self, method: str, path: str, *, retry_503: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {"X-Request-ID": self._request_id(), **kwargs.pop("headers", {})}
        attempts = self.retry.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(method, path, headers=headers, **kwargs)
            except RETRIED_TRANSPORT_ERRORS as exc:
                if last:
                    raise self._transport_error(method, path, exc, attempts) from exc
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:
                raise self._transport_error(method, path, exc, 1) from exc
            if response.status_code == 503 and retry_503 and not last:
                await asyncio.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            if response.is_error:
                raise error_from(response)
            return response
        raise AssertionError("unreachable")
