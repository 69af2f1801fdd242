"""Regenerate the single initial migration from the models (pre-release only).

Until Parley has a release with deployed databases, the schema is one migration, rewritten
from ``bot/db/models.py`` whenever the models change:
``.venv/bin/python tests/regen_initial_migration.py``. After the first release, add new
revisions with Alembic's autogenerate instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db.migrate import MIGRATIONS_DIR, alembic_config  # noqa: E402


def main() -> None:
    for old in (MIGRATIONS_DIR / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'empty.sqlite3'}"
        command.revision(
            alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001"
        )
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "-q", str(MIGRATIONS_DIR / "versions")],
        check=True,
    )


if __name__ == "__main__":
    main()
