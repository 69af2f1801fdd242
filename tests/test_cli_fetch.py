"""``parley fetch`` and ``parley poll-once`` as an admin runs them (subprocess, real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FEEDS = Path(__file__).parent / "data" / "feeds"


def _parley(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PARLEY_CONFIG", "TELEGRAM_BOT_TOKEN")
    }
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fetch_prints_json_lines(tmp_path: Path) -> None:
    result = _parley("fetch", str(FEEDS / "al-monitor_2026-02-17.xml"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 11
    assert lines[0]["published_at"] == "2026-02-17T22:36:36+00:00"
    assert all(line["url"].startswith("https://www.al-monitor.com/") for line in lines)


def test_fetch_text_output(tmp_path: Path) -> None:
    result = _parley("fetch", (FEEDS / "npr_world_2026-02-17.xml").as_uri(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 10


def test_fetch_failure_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "page.xml").write_text("<html><body>not a feed</body></html>")
    for target in (
        str(tmp_path / "missing.xml"),
        str(tmp_path / "page.xml"),
        "http://127.0.0.1:9/feed",
    ):
        result = _parley("fetch", target, cwd=tmp_path)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("parley: ")


def test_poll_once_reports_every_source(tmp_path: Path) -> None:
    config = tmp_path / "parley.toml"
    config.write_text(
        f"""
[[sources]]
name = "NPR"
kind = "file"
url = "{FEEDS / "npr_world_2026-02-17.xml"}"

[[sources]]
name = "Gone"
kind = "file"
url = "{tmp_path / "gone.xml"}"
"""
    )
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first = _parley("poll-once", "--config", str(config), "--json", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    reports = {line["name"]: line for line in map(json.loads, first.stdout.splitlines())}
    assert (reports["NPR"]["outcome"], reports["NPR"]["new_items"]) == ("new", 10)
    assert reports["Gone"]["outcome"] == "error" and "no such file" in reports["Gone"]["error"]
    second = _parley("poll-once", "--config", str(config), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "NPR: not_modified" in second.stdout
    assert "2 sources polled, 0 new items, 1 errors" in second.stdout
