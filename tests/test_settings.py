"""The admin file and the environment: every problem reported with its path, secrets kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.log_setup import RedactingFilter
from bot.settings import (
    ConfigError,
    load_admin_config,
    load_settings,
    normalise_database_url,
    redact_url,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
MINIMAL = """
[[sources]]
name = "Local"
kind = "file"
url = "feed.xml"
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "parley.toml"
    path.write_text(body, encoding="utf-8")
    return path


def problems(tmp_path: Path, body: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        load_admin_config(write(tmp_path, body))
    return caught.value.problems


def test_bundled_config_is_valid(repo_root: Path) -> None:
    config = load_admin_config(repo_root / "config" / "parley.toml")
    assert {"talks", "de-escalation", "security-guarantees"} <= set(config.topics)
    enabled = [source for source in config.sources if source.enabled]
    assert enabled
    assert all(source.kind == "file" for source in enabled), "bundled config must work offline"
    for source in enabled:
        assert (repo_root / source.url).is_file(), source.url


def test_all_three_problems_listed_with_paths(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
[polling]
default_intervall_seconds = 5
[topics.talks]
threshold = 1.5
[topics.de-escalation]
[topics.security-guarantees]
[[sources]]
name = "ok"
kind = "file"
url = "a.xml"
[[sources]]
name = "bad"
kind = "rss"
url = "ftp://x"
""",
    )
    assert found == (
        "polling.default_intervall_seconds: unknown key (misspelt?)",
        "topics.talks.threshold: must be between 0 and 1",
        "sources[1].url: must be an http:// or https:// URL",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("[topics.talks]\n", "topics: core topics missing", id="missing-core"),
        pytest.param(
            MINIMAL + MINIMAL, "sources: duplicate source names: Local", id="duplicate-names"
        ),
        pytest.param(
            '[[sources]]\nname="g"\nkind="gdelt"\nurl="https://api.gdeltproject.org/x"\n',
            "sources[0].query: a gdelt source needs a query",
            id="gdelt-query",
        ),
        pytest.param(
            '[[sources]]\nname="f"\nkind="file"\nurl="http://x/feed"\n',
            "sources[0].url: a file source takes a path",
            id="file-url",
        ),
        pytest.param(
            '[telegram.channels]\nsports = "@x"\n',
            "telegram.channels: unknown topics: sports",
            id="channel-topic",
        ),
        pytest.param(
            "[topics.x-custom]\nthreshold = 0.5\n",
            "custom topic needs a description",
            id="custom-description",
        ),
        pytest.param("[polling]\nmax_concurrency = 0\n", "polling.max_concurrency:", id="range"),
        pytest.param("not toml = = 1", "not valid TOML", id="toml-syntax"),
    ],
)
def test_each_problem_is_named(tmp_path: Path, body: str, expected: str) -> None:
    found = problems(tmp_path, body)
    assert any(expected in line for line in found), found


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_admin_config(tmp_path / "nope.toml")
    assert caught.value.problems == ("file not found",)


def test_interval_is_clamped(tmp_path: Path) -> None:
    config = load_admin_config(
        write(tmp_path, MINIMAL + "interval_seconds = 1\n[polling]\nmin_interval_seconds = 30\n")
    )
    assert config.interval_for(config.sources[0]) == 30


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("sqlite:///data/x.sqlite3", "sqlite+aiosqlite:///data/x.sqlite3"),
    ],
)
def test_database_url_forms(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_unsupported_database_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL), env={"DATABASE_URL": "mysql://x/y"})
    assert "DATABASE_URL" in caught.value.problems[0]


def test_environment_overrides_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    settings = load_settings(path, env={})
    assert settings.bot_token is None
    assert settings.database_url == "sqlite+aiosqlite:///data/parley.sqlite3"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    settings = load_settings(
        path,
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot/",
            "DATABASE_URL": "postgres://u:secret@db/x",
        },
    )
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert TOKEN not in repr(settings)
    assert "secret" not in redact_url(settings.database_url)


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    assert load_settings(None, env={"PARLEY_CONFIG": str(path)}).config_path == path


def test_malformed_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL), env={"TELEGRAM_BOT_TOKEN": "oops"})
    assert "TELEGRAM_BOT_TOKEN" in caught.value.problems[0]
    assert "oops" not in str(caught.value)


def test_log_filter_redacts_tokens_and_passwords() -> None:
    log_filter = RedactingFilter([TOKEN])
    line = f"POST https://api.telegram.org/bot{TOKEN}/getMe via postgres://u:pw@host/db"
    redacted = log_filter.redact(line)
    assert TOKEN not in redacted
    assert ":pw@" not in redacted
    assert "[REDACTED]" in redacted
