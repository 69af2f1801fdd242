"""Stories benchmark: clustering quality on the labelled pairs, and the speed of each step.

    .venv/bin/python bench/stories.py

Prints pairwise precision/recall at the configured threshold (``parley eval-stories --sweep``
gives the full sweep), then timings for summarising, rendering and the cluster stage itself on a
temporary SQLite database holding the 408 items of tests/data/story_pairs.jsonl.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.eval_stories import Row, embed, load, score  # noqa: E402
from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.models import Item, ItemScore, ItemState, Source  # noqa: E402
from bot.db.session import create_engine, create_sessionmaker  # noqa: E402
from bot.pipeline.cluster import cluster_classified_items  # noqa: E402
from bot.pipeline.summarise import best_text, summarise  # noqa: E402
from bot.render import StoryView, TopicHit, render_alert  # noqa: E402
from bot.settings import AdminConfig, StoriesConfig  # noqa: E402


def timed(label: str, count: int, seconds: float) -> None:
    print(f"{label}: {seconds * 1000:.1f} ms for {count} ({seconds / count * 1e6:.0f} µs each)")


async def cluster_stage(items: list[Row], vectors: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await upgrade_async(url)
        engine = create_engine(url)
        maker = create_sessionmaker(engine)
        async with maker.begin() as session:
            sources: dict[str, Source] = {}
            for item, vector in zip(items, vectors, strict=True):
                outlet = str(item["outlet"])
                if outlet not in sources:
                    sources[outlet] = Source(name=outlet, kind="file", url=f"{outlet}.xml")
                    session.add(sources[outlet])
                    await session.flush()
                row = Item(
                    source_id=sources[outlet].id,
                    fingerprint=hashlib.sha256(str(item["id"]).encode()).hexdigest(),
                    title=str(item["title"]), summary=str(item["summary"] or ""),
                    content=item.get("content"), url=item.get("url"),
                    published_at=datetime.fromisoformat(str(item["published"])),
                    state=ItemState.CLASSIFIED, embedding=vector.astype(np.float32).tobytes(),
                )  # fmt: skip
                session.add(row)
                await session.flush()
                session.add(ItemScore(item_id=row.id, topic="talks", score=0.7, evidence=None))
        started = time.perf_counter()
        report = await cluster_classified_items(
            maker, StoriesConfig(), {"talks": 0.5}, now=datetime(2026, 2, 18, 2, tzinfo=UTC)
        )
        took = time.perf_counter() - started
        await engine.dispose()
    print(
        f"cluster stage (SQLite, one run): {len(items)} items -> {len(report.new_story_ids)} "
        f"stories in {took:.2f} s ({len(items) / took:.0f} items/s)"
    )


def main() -> int:
    items, pairs = load()
    started = time.perf_counter()
    vectors = embed(items)
    timed("embedding (int8 encoder, 1 thread)", len(items), time.perf_counter() - started)
    config = StoriesConfig()
    result = score(items, pairs, vectors, config)
    print(
        f"pairs: {len(pairs)} ({result.tp + result.fn} same-event); threshold "
        f"{config.similarity_threshold:.2f}: precision {result.precision:.3f}, recall "
        f"{result.recall:.3f} (fp {result.fp}, fn {result.fn}; {result.stories} stories)"
    )
    texts = [
        (str(i["title"]), best_text(str(i["title"]), i["summary"], i.get("content")))
        for i in items
    ]
    started = time.perf_counter()
    summaries = [summarise(title, text) for title, text in texts]
    timed("summaries", len(texts), time.perf_counter() - started)
    topics = AdminConfig().topics
    views = [
        StoryView(
            id=n + 1,
            title=str(i["title"]),
            url=i.get("url"),
            outlet=str(i["outlet"]),
            published_at=datetime.fromisoformat(str(i["published"])),
            summary=summary,
            outlets=(str(i["outlet"]), "BBC News", "Al Jazeera", "Dawn", "NPR"),
            topics=(TopicHit("talks", 0.8, summary),),
        )
        for n, (i, summary) in enumerate(zip(items, summaries, strict=True))
    ]
    started = time.perf_counter()
    for view in views:
        render_alert(view, topics)
    timed("render_alert", len(views), time.perf_counter() - started)
    asyncio.run(cluster_stage(items, vectors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
