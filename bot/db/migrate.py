"""Schema migrations with Alembic, run programmatically so no alembic.ini has to be found."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an ini option: ini interpolation would mangle a '%' in a
    # password, and the option would be visible to anything that dumps the config.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Run migrations from async code: Alembic's env runs its own event loop, so use a thread."""
    await asyncio.to_thread(upgrade, database_url, revision)
