"""Classifier speed and memory: ONNX int8 (what the bot runs) vs torch fp32, same run.

    .venv/bin/python bench/classify.py [--items 256] [--repeats 3]

Inputs are real headline + lede feed items (classifiers/training_data/feeds_labelled.jsonl).
For every backend: items/s at batch 1, 8, 32 with 1 and 2 intra-op threads (best of
--repeats), single-item latency (median), and, in fresh subprocesses, cold start (import +
load + first classification) and peak RSS after classifying all items in batches of 32.
The int8 path is the full `TopicClassifier.classify` (scores, evidence for flagged items,
embeddings); the torch path runs the same architecture (encoder + topic branch) in fp32
under `inference_mode` and stops at logits, so it is if anything flattered.
Floors from issue #4: >=150 items/s at batch 8 / 2 threads, >=100 items/s at 1 thread,
single item <=10 ms, cold start <=1 s, peak RSS <=250 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "classifiers" / "training_data" / "feeds_labelled.jsonl"

Runner = Callable[[Sequence[str]], object]


def load_texts(n: int) -> list[str]:
    """Feed items with a real lede (>= 40 tokens), like perf-anchors' 76-token median.

    Many feed items are a headline plus a one-line teaser; those are faster and would
    flatter the figures.
    """
    from classifiers.artifact import DEFAULT_ARTIFACT_DIR
    from classifiers.encoder import load_tokenizer

    tok = load_tokenizer(DEFAULT_ARTIFACT_DIR / "tokenizer.json", 128)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    texts = [r["text"] for r in rows]
    encodings = tok.encode_batch(texts)
    long_enough = [t for t, e in zip(texts, encodings, strict=True) if sum(e.attention_mask) >= 40]
    return long_enough[:n]


def onnx_runner(threads: int, batch: int) -> Runner:
    from classifiers.artifact import DEFAULT_ARTIFACT_DIR
    from classifiers.classifier import TopicClassifier, load_head
    from classifiers.encoder import OnnxEncoder

    encoder = OnnxEncoder(DEFAULT_ARTIFACT_DIR, threads=threads, batch_size=batch)
    clf = TopicClassifier(encoder, load_head(DEFAULT_ARTIFACT_DIR, encoder))
    return lambda texts: clf.classify(texts)


def torch_runner(threads: int, batch: int) -> Runner | None:
    try:
        import torch

        from classifiers.artifact import bundled_source_dir
        from classifiers.encoder import load_tokenizer
        from classifiers.finetune import BranchConfig, build_ensemble, build_model
    except ImportError:
        return None
    torch.set_num_threads(threads)
    src = bundled_source_dir()
    config = BranchConfig(**_bundled_branch())
    members = [build_model(src, 3, config) for _ in range(config.members)]
    model = (members[0] if len(members) == 1 else build_ensemble(members)).eval()
    tok = load_tokenizer(src / "tokenizer.json", 128)

    def run(texts: Sequence[str]) -> object:
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch):
                enc = tok.encode_batch(list(texts[i : i + batch]))
                ids = torch.tensor([e.ids for e in enc])
                mask = torch.tensor([e.attention_mask for e in enc])
                out.append(model(ids, mask))
        return out

    return run


def _bundled_branch() -> dict[str, int]:
    """Layer and member count of the bundled graph, so torch runs the same architecture."""
    manifest = json.loads(
        (ROOT / "classifiers/models/minilm-l6-int8-v1/manifest.json").read_text()
    )
    branch = manifest.get("branch", {})
    return {"branch_at": int(branch.get("branch_at", 3)), "members": int(branch.get("members", 1))}


def throughput(run: Runner, texts: Sequence[str], batch: int, repeats: int) -> float:
    run(texts[: batch * 2])  # warm-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            run(texts[i : i + batch])
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def latency_ms(run: Runner, texts: Sequence[str]) -> float:
    samples = []
    for text in texts:
        start = time.perf_counter()
        run([text])
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


COLD = """
import os, sys, time, json
os.environ["HF_HUB_OFFLINE"] = "1"
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
texts = json.loads({texts!r})
if {backend!r} == "onnx":
    from classifiers import load_classifier
    clf = load_classifier(threads=1)
    t1 = time.perf_counter(); clf.classify(texts[:1]); t2 = time.perf_counter()
    for i in range(0, len(texts), 32): clf.classify(texts[i:i+32])
else:
    sys.argv = ["x"]
    import bench.classify as b
    run = b.torch_runner(1, 32)
    t1 = time.perf_counter(); run(texts[:1]); t2 = time.perf_counter()
    run(texts)
status = open("/proc/self/status").read()
rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({{"load": t1 - t0, "cold": t2 - t0, "rss": rss}}))
"""


def interpreter_start(repeats: int) -> float:
    """Wall time of `python -c pass`, added to the in-process cold start."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cold_start(backend: str, texts: Sequence[str], repeats: int) -> dict[str, float]:
    """Median over fresh processes. Peak RSS is VmHWM: ru_maxrss would inherit this
    (parent) process's peak across fork + exec on Linux."""
    runs = []
    code = COLD.format(root=str(ROOT), texts=json.dumps(list(texts)), backend=backend)
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--cold-only", action="store_true", help="only cold start and memory")
    args = parser.parse_args()
    texts = load_texts(args.items)
    from classifiers.artifact import DEFAULT_ARTIFACT_DIR
    from classifiers.encoder import load_tokenizer

    tok = load_tokenizer(DEFAULT_ARTIFACT_DIR / "tokenizer.json", 128)
    lengths = sorted(sum(e.attention_mask) for e in tok.encode_batch(texts))
    print(
        f"{len(texts)} feed items (headline + lede, >= 40 tokens), tokens median "
        f"{lengths[len(lengths) // 2]}, max {lengths[-1]}; cpu count {os.cpu_count()}"
    )
    backends: list[tuple[str, Callable[[int, int], Runner | None]]] = [("onnx-int8", onnx_runner)]
    if not args.skip_torch:
        backends.append(("torch-fp32", torch_runner))
    print(
        f"{'backend':<12}{'threads':>8}{'batch 1':>10}{'batch 8':>10}{'batch 32':>10}{'1-item ms':>11}"
    )
    for name, factory in [] if args.cold_only else backends:
        for threads in (1, 2):
            row = []
            latency = float("nan")
            for batch in (1, 8, 32):
                run = factory(threads, batch)
                if run is None:
                    break
                row.append(throughput(run, texts, batch, args.repeats))
                if batch == 1:
                    latency = latency_ms(run, texts[:64])
            if not row:
                print(f"{name:<12} skipped (torch not installed)")
                break
            cells = "".join(f"{x:>10.1f}" for x in row)
            print(f"{name:<12}{threads:>8}{cells}{latency:>11.2f}")
    start_up = interpreter_start(args.repeats)
    print(f"{'backend':<12}{'cold start s':>14}{'load s':>9}{'peak RSS MB':>13}")
    for name, backend in (("onnx-int8", "onnx"), ("torch-fp32", "torch")):
        if backend == "torch" and (args.skip_torch or torch_runner(1, 1) is None):
            continue
        cold = cold_start(backend, texts, args.repeats)
        total = start_up + cold["cold"]
        print(f"{name:<12}{total:>14.2f}{cold['load']:>9.2f}{cold['rss']:>13.0f}")
    print(
        f"cold start = interpreter start-up ({start_up:.2f} s, `python -c pass`) + import + "
        "load + first classification, fresh process; peak RSS after classifying all items"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
