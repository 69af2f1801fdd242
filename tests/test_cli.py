"""The command line as an admin uses it: real processes, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD_CONFIG = """
[polling]
default_intervall_seconds = 5
[topics.talks]
threshold = 1.5
[topics.de-escalation]
[topics.security-guarantees]
[[sources]]
name = "x"
kind = "rss"
url = "ftp://x"
"""


def parley(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PARLEY_CONFIG", "TELEGRAM_BOT_TOKEN")
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_commands(repo_root: Path) -> None:
    result = parley("--help", cwd=repo_root)
    assert result.returncode == 0
    for command in ("run", "check-config", "db"):
        assert command in result.stdout


def test_check_config_bundled(repo_root: Path) -> None:
    result = parley("check-config", cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_check_config_reports_every_problem(repo_root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_CONFIG)
    result = parley("check-config", "--config", str(bad), cwd=repo_root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for expected in (
        "polling.default_intervall_seconds",
        "topics.talks.threshold",
        "sources[0].url",
    ):
        assert expected in result.stderr


def test_wrong_usage_is_one_line(repo_root: Path) -> None:
    result = parley("frobnicate", cwd=repo_root)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--help" in result.stderr


def test_db_upgrade_sqlite(repo_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "nested" / "parley.sqlite3"
    result = parley("db", "upgrade", cwd=repo_root, env={"DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert db.is_file()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")
def test_db_upgrade_postgres_url_form(repo_root: Path) -> None:
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgres://", 1)
    result = parley("db", "upgrade", cwd=repo_root, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr


def test_unreachable_database_is_one_line(repo_root: Path) -> None:
    result = parley(
        "db", "upgrade", cwd=repo_root, env={"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x"}
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr
    assert "cannot migrate" in result.stderr


def test_poll_once_prints_stories_once(repo_root: Path, tmp_path: Path) -> None:
    feeds = repo_root / "config" / "feeds"
    config = tmp_path / "seed.toml"
    config.write_text(
        f"""
[[sources]]
name = "Atlas News"
kind = "file"
url = "{feeds / "seed-atlas-news_2022-03-29.xml"}"
[[sources]]
name = "Second outlet"
kind = "file"
url = "{feeds / "seed-second-outlet_2022-03-29.xml"}"
"""
    )
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first = parley("poll-once", "--config", str(config), cwd=repo_root, env=env)
    assert first.returncode == 0, first.stderr
    # The two outlets' reports of the Istanbul talks are one story, printed once.
    assert first.stdout.count("Istanbul") + first.stdout.count("Negotiations") >= 1
    assert first.stdout.count("Also reported by") == 1
    assert "2 sources polled, 2 new items" in first.stdout
    again = parley("poll-once", "--config", str(config), cwd=repo_root, env=env)
    assert again.returncode == 0, again.stderr
    assert "Also reported by" not in again.stdout
    assert "0 new items" in again.stdout


def test_train_options_override_the_bundled_recipe() -> None:
    """`--seed` etc. reach the training config; anything not given keeps the bundled recipe.

    Needs no torch: the config module imports it only when training starts.
    """
    from bot.cli import build_parser
    from bot.cli.train import branch_config
    from classifiers.finetune import BranchConfig

    parser = build_parser()
    default = branch_config(parser.parse_args(["train"]))
    assert default == BranchConfig()
    chosen = branch_config(parser.parse_args(["train", "--seed", "7", "--threads", "1"]))
    assert (chosen.seed, chosen.threads) == (7, 1)
    assert chosen.rank == default.rank and chosen.epochs == default.epochs
