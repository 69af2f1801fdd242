"""A scriptable feed server on 127.0.0.1 for tests and benchmarks (real HTTP, aiohttp).

Serves real captured feeds from ``tests/data/feeds`` and whatever a test scripts per path:
status codes, ``Retry-After`` and cache headers, delays, redirect loops, endless bodies,
broken documents. ETag / Last-Modified conditional GET is honoured like a real server, and
every request is recorded for assertions.

Run standalone for the benchmark: ``python -m tests.fakes.feed_server --feeds 2000``
prints the port and serves ``/feed/<n>`` (50 generated items each) until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FEEDS_DIR = Path(__file__).resolve().parent.parent / "data" / "feeds"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    last_modified: str | None = None
    delay: float = 0.0
    endless: bool = False  # stream junk after ``body`` forever (the size cap must stop it)
    redirect_to: str | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    query: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.fallback: Callable[[str], Route | None] | None = None

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str = b"", **options: Any) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)
        return self.url(path)

    def serve_file(self, path: str, name: str, **options: Any) -> str:
        return self.serve(path, (FEEDS_DIR / name).read_bytes(), **options)

    def hits(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append(Recorded(path, dict(request.headers), dict(request.query)))
        route = self.routes.get(path) or (self.fallback(path) if self.fallback else None)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.redirect_to:
            raise web.HTTPFound(route.redirect_to)
        headers = dict(route.headers)
        etag = f'"{hashlib.sha1(route.body).hexdigest()[:16]}"' if route.etag else None  # noqa: S324
        if etag:
            headers["ETag"] = etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and _not_modified(request, etag, route.last_modified):
            return web.Response(status=304, headers=headers)
        if route.endless:
            return await _endless(request, route, headers)
        headers["Content-Type"] = route.content_type
        return web.Response(status=route.status, body=route.body, headers=headers)


def _not_modified(request: web.Request, etag: str | None, last_modified: str | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag is not None and if_none_match == etag
    since = request.headers.get("If-Modified-Since")
    return since is not None and last_modified is not None and since == last_modified


async def _endless(
    request: web.Request, route: Route, headers: dict[str, str]
) -> web.StreamResponse:
    response = web.StreamResponse(status=route.status, headers=headers)
    response.content_type = route.content_type.split(";")[0]
    await response.prepare(request)
    chunk = b"<!-- padding -->" * 4096
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        await response.write(route.body)
        for _ in range(100_000):  # ~6.5 GB at most: far past any cap
            await response.write(chunk)
    return response


def generated_feed(number: int, items: int = 50) -> bytes:
    """A realistic 50-item RSS 2.0 feed (~40 KB) for benchmarks."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
        f"<title>Bench outlet {number}</title><link>https://outlet{number}.example/</link>",
        "<description>generated</description><ttl>5</ttl>",
    ]
    words = (
        "Envoys met in Geneva on Tuesday to discuss a ceasefire and the exchange of prisoners, "
        "officials said, as both sides signalled a willingness to keep talking despite shelling "
        "overnight near the front line and warnings of a harsh winter for displaced families. "
    )
    parts.extend(
        "<item>"
        f"<title>Outlet {number} story {index}: talks resume &amp; hopes rise</title>"
        f"<link>https://outlet{number}.example/news/{index}?utm_source=rss</link>"
        f'<guid isPermaLink="false">outlet-{number}-{index}</guid>'
        f"<pubDate>Tue, 17 Feb 2026 {index % 24:02d}:{index % 60:02d}:00 +0000</pubDate>"
        f"<description>&lt;p&gt;{words}&lt;/p&gt;</description>"
        "</item>"
        for index in range(items)
    )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


async def _serve_bench(feeds: int, port: int) -> None:
    server = FeedServer()
    server.port = port
    bodies = {f"/feed/{n}": generated_feed(n) for n in range(feeds)}
    routes = {path: Route(body=body) for path, body in bodies.items()}
    server.fallback = routes.get
    server.requests = _Discard()
    async with server:
        print(server.port, flush=True)
        await asyncio.Event().wait()


class _Discard(list[Recorded]):
    def append(self, item: Recorded) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description="fake feed server for benchmarks")
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_bench(args.feeds, args.port))


if __name__ == "__main__":
    main()
