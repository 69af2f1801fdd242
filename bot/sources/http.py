"""HTTP for sources: one shared client, politeness limits, conditional GET and a body size cap.

One ``httpx.AsyncClient`` per process keeps connections alive across polls (the 304 path costs
about a millisecond of CPU only because of that). ``Politeness`` holds the limits that must be
shared by every concurrent poll: a global cap on requests in flight, a per-host cap, and a
minimum spacing for hosts that publish one (GDELT allows about one request per 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.settings import PollingConfig
from bot.sources.timing import cache_max_age, retry_after_seconds
from bot.sources.types import ErrorKind, SourceError, Validators

CHUNK_BYTES = 64 * 1024


def _import_http_backend() -> None:
    """Import what httpx's first request would import (httpcore, h11, anyio's asyncio
    backend): 50-100 ms of imports that otherwise block the event loop in the middle of the
    first polling cycle. Best effort: a missing module only means that cost comes later."""
    for name in ("httpcore", "h11", "sniffio", "anyio._backends._asyncio"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


_import_http_backend()


def create_http_client(polling: PollingConfig) -> httpx.AsyncClient:
    """The shared client: timeouts always on, redirects followed up to the configured limit.

    httpx advertises gzip, deflate and (with the ``brotli`` package) br by itself.
    """
    timeout = httpx.Timeout(
        connect=polling.connect_timeout_seconds,
        read=polling.read_timeout_seconds,
        write=polling.read_timeout_seconds,
        pool=polling.cycle_timeout_seconds,
    )
    limits = httpx.Limits(
        max_connections=polling.max_concurrency * 2,
        max_keepalive_connections=polling.max_concurrency * 2,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        follow_redirects=True,
        max_redirects=polling.max_redirects,
        headers={"User-Agent": polling.user_agent},
    )


@dataclass
class Politeness:
    """Limits shared by every poll in this process; pass the same instance to every cycle."""

    max_concurrency: int = 16
    per_host: int = 2
    host_spacing: dict[str, float] = field(default_factory=dict)
    _global: asyncio.Semaphore | None = None
    _hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _spacing_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _last_start: dict[str, float] = field(default_factory=dict)
    _parsers: asyncio.Semaphore | None = None
    parse_threads: int = 2
    store_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The poller's group-commit writer (``bot.pipeline.poll``), kept here because it must be
    # shared the same way: one per process, so concurrent polls batch into one transaction.
    store_writer: object | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_config(cls, polling: PollingConfig) -> Politeness:
        return cls(max_concurrency=polling.max_concurrency, per_host=polling.per_host_concurrency)

    def space_host(self, host: str, seconds: float) -> None:
        """Make requests to ``host`` start at least ``seconds`` apart (one at a time)."""
        self.host_spacing[host] = seconds

    @contextlib.asynccontextmanager
    async def parsing(self) -> AsyncIterator[None]:
        """A parse slot: few parser threads at once keep the event loop's GIL share high."""
        if self._parsers is None:
            self._parsers = asyncio.Semaphore(self.parse_threads)
        async with self._parsers:
            yield

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        if self._global is None:
            self._global = asyncio.Semaphore(self.max_concurrency)
        host_sem = self._hosts.get(host)
        if host_sem is None:
            host_sem = self._hosts[host] = asyncio.Semaphore(self.per_host)
        spacing = self.host_spacing.get(host)
        if spacing is None:
            async with host_sem, self._global:
                yield
            return
        lock = self._spacing_locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._last_start.get(host, -spacing) + spacing - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._global:
                try:
                    yield
                finally:
                    # Spacing counts from the end of the request: a slow answer is still load.
                    self._last_start[host] = time.monotonic()


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: httpx.Headers
    url: str
    validators: Validators
    max_age_seconds: float | None
    truncated: bool = False


def conditional_headers(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


async def fetch_url(
    client: httpx.AsyncClient,
    url: str,
    *,
    validators: Validators | None = None,
    max_bytes: int,
    accept: str = "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
) -> HttpResponse:
    """GET ``url``; a 304 comes back with an empty body, a 2xx with at most ``max_bytes``.

    A body over the cap is cut off (``truncated``) rather than read whole; the caller decides
    whether the prefix is worth parsing. Errors are ``SourceError`` with a kind.
    """
    headers = {"Accept": accept, **conditional_headers(validators or Validators())}
    try:
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 304:
                return HttpResponse(
                    304, b"", response.headers, str(response.url), Validators(), _max_age(response)
                )
            if status >= 400:
                raise _status_error(response)
            body, truncated = await _read_capped(response, max_bytes)
    except httpx.TooManyRedirects:
        raise SourceError(ErrorKind.REDIRECTS, "too many redirects (loop?)") from None
    except httpx.TimeoutException as exc:
        raise SourceError(ErrorKind.TIMEOUT, f"{type(exc).__name__}") from None
    except httpx.DecodingError as exc:
        raise SourceError(ErrorKind.NETWORK, f"cannot decode body: {exc}") from None
    except httpx.HTTPError as exc:
        raise SourceError(ErrorKind.NETWORK, f"{type(exc).__name__}: {exc}") from None
    new_validators = Validators(
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        body_hash=hashlib.sha256(body).hexdigest(),
    )
    return HttpResponse(
        status,
        body,
        response.headers,
        str(response.url),
        new_validators,
        _max_age(response),
        truncated=truncated,
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """Read decoded bytes up to the cap (so a gzip bomb is capped too)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes(CHUNK_BYTES):
        room = max_bytes - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _max_age(response: httpx.Response) -> float | None:
    return cache_max_age(response.headers, now=time.time())


def _status_error(response: httpx.Response) -> SourceError:
    status = response.status_code
    retry_after = retry_after_seconds(response.headers.get("retry-after"), now=time.time())
    if status in (429, 503) and (status == 429 or retry_after is not None):
        wait = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
        return SourceError(
            ErrorKind.RATE_LIMITED,
            f"HTTP {status}{wait}",
            status=status,
            retry_after=retry_after,
        )
    if status == 410:
        return SourceError(ErrorKind.GONE, "HTTP 410 Gone: the feed was removed", status=status)
    phrase = response.reason_phrase or ""
    return SourceError(ErrorKind.HTTP, f"HTTP {status} {phrase}".strip(), status=status)
