"""Shared fixtures. HF_HUB_OFFLINE is set before anything can import transformers."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.migrate import upgrade_async
from bot.db.session import create_engine, create_sessionmaker
from bot.settings import normalise_database_url

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def _database_params() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    marks = [pytest.mark.postgres]
    if not POSTGRES_URL:
        marks.append(pytest.mark.skip(reason="TEST_DATABASE_URL not set"))
    params.append(pytest.param("postgres", id="postgres", marks=marks))
    return params


async def _reset_postgres(url: str) -> None:
    """Drop every table so each test starts from an empty, freshly migrated schema."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=_database_params())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'parley-test.sqlite3'}"
    else:
        url = normalise_database_url(POSTGRES_URL)
        await _reset_postgres(url)
    await upgrade_async(url)
    yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield REPO_ROOT
