"""`parley classify` and `parley eval` end to end, through bot.cli.main (real model)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "parley.toml"


@pytest.fixture(autouse=True)
def _config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_CONFIG", str(CONFIG))


def test_classify_text(capsys: pytest.CaptureFixture[str]) -> None:
    # This test is about the output, so the text is well clear of the threshold. The model
    # gives "Ceasefire takes effect along the border. No shelling was reported overnight."
    # 0.49: a short second sentence dilutes the mean-pooled item (docs/classifier.md, gaps).
    text = "Ceasefire takes effect along the border as guns fall silent. No shelling was reported overnight."
    assert main(["classify", text]) == 0
    out = capsys.readouterr().out
    assert "de-escalation" in out and "flagged: de-escalation" in out
    assert "evidence [de-escalation]:" in out


def test_classify_jsonl_keeps_order_and_reports_bad_records(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"text": "Ceasefire takes effect along the border as guns fall silent"}),
        "",
        json.dumps({"title": "Union and bosses hold pay talks", "summary": "A mediator joined."}),
        "[1, 2]",
        json.dumps({"text": "   "}),
        "{not json",
        json.dumps({"title": 5}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["classify", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["topics"] == ["de-escalation"]
    assert set(out[0]["scores"]) >= {"talks", "de-escalation", "security-guarantees"}
    assert out[0]["evidence"]["de-escalation"]
    assert "error" in out[1] and "error" in out[3] and "error" in out[4] and "error" in out[5]
    assert "error" in out[6]
    assert out[2]["topics"] == []


def test_classify_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_eval_prints_metrics_and_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "mini.jsonl"
    rows = [
        {"text": "Ceasefire takes effect in the south as guns fall silent", "labels": ["de-escalation"]},
        {"text": "Peace talks resume in Geneva between the government and rebels", "labels": ["talks"]},
        {"text": "Sweden joins NATO after Turkey ratifies its accession", "labels": ["security-guarantees"]},
        {"text": "Central bank raises rates to fight inflation", "labels": []},
        {"text": "Union and bosses agree to resume pay talks", "labels": []},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["eval", str(data), "--baseline", "keywords", "--target-precision", "0.8"]) == 0
    out = capsys.readouterr().out
    for word in ("talks", "macro", "micro", "false-positive rate", "keyword baseline", "margin"):
        assert word in out


def test_eval_report_writes_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"text": "Truce agreed at talks in Doha", "labels": ["talks", "de-escalation"]})
        + "\n"
        + json.dumps({"text": "Storm hits coast", "labels": []})
        + "\n"
    )
    assert main(["eval", str(data), "--report", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "index.html").is_file()
    assert (tmp_path / "rep" / "pr_talks.png").is_file()


def test_eval_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n')
    assert main(["eval", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1" in err and "Traceback" not in err
