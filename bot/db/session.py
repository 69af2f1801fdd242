"""Engine and session factory; the only place that knows how to talk to a database URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession  # re-export for callers


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine; for SQLite the file's folder is created and WAL mode switched on.

    WAL lets the bot's handlers read while the polling cycle writes; ``busy_timeout`` makes a
    writer wait for the lock instead of failing at once.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # Under WAL, NORMAL syncs the log at checkpoints instead of on every commit. It is
            # still durable across process crashes (a committed transaction is in the WAL file
            # the moment COMMIT returns); only an OS crash or power loss can lose the last few
            # transactions, never corrupt the database. FULL cost one fsync per commit, which
            # capped polling at ~2,400 items/s.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit, so rows can be read once the unit of
    work is over without a lazy load (which async sessions forbid)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
