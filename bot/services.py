"""The long-lived resources one Parley process shares, created once and closed once.

No module-level singletons: the CLI, the bot's ``post_init`` and the benchmarks each build a
``Services`` and pass it down, so two of them can coexist in one process (tests do this).
The admin config is held here and replaced as a whole on reload, so every stage reads the
thresholds of the current cycle without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.session import create_engine, create_sessionmaker
from bot.settings import AdminConfig, Settings
from bot.sources.http import create_http_client

if TYPE_CHECKING:
    from bot.pipeline.cycle import CycleReport
    from classifiers import TopicClassifier

_LOGGER = logging.getLogger(__name__)
_POLLED = frozenset({"new", "not_modified", "unchanged", "error"})  # outcomes that fetched


@dataclass(frozen=True)
class CycleTimings:
    """What one pipeline cycle did and how long its stages took (seconds), for ``/stats``."""

    finished_at: datetime
    cycle_seconds: float
    sources_polled: int = 0
    entries_polled: int = 0  # feed entries read
    new_items: int = 0  # of which stored as new
    poll_seconds: float = 0.0
    classified: int = 0
    classify_seconds: float = 0.0
    cluster_seconds: float = 0.0
    stories_touched: int = 0  # new + updated
    alerts_queued: int = 0
    alerts_sent: int = 0  # 0 in the bot: its outbox sender runs beside the cycle
    failed_stages: tuple[str, ...] = ()

    @classmethod
    def of(cls, report: CycleReport, *, finished_at: datetime | None = None) -> CycleTimings:
        """Read a ``bot.pipeline.cycle.CycleReport`` (every part of it may be missing)."""
        end = finished_at or datetime.now(UTC)
        seconds = report.seconds
        poll, classify, cluster = report.poll, report.classify, report.cluster
        polled = [s for s in poll.sources if s.outcome in _POLLED] if poll is not None else []
        delivery = report.delivery
        return cls(
            finished_at=end,
            cycle_seconds=max(0.0, (end - report.started_at).total_seconds()),
            sources_polled=len(polled),
            entries_polled=sum(s.entries for s in polled),
            new_items=len(poll.new_item_ids) if poll is not None else 0,
            poll_seconds=seconds.get("poll", 0.0),
            classified=classify.classified if classify is not None else 0,
            classify_seconds=seconds.get("classify", 0.0),
            cluster_seconds=seconds.get("cluster", 0.0),
            stories_touched=(
                len(cluster.new_story_ids) + len(cluster.updated_story_ids)
                if cluster is not None
                else 0
            ),
            alerts_queued=report.match.deliveries if report.match is not None else 0,
            alerts_sent=delivery.sent + delivery.combined_messages if delivery is not None else 0,
            failed_stages=tuple(sorted(report.errors)),
        )


@dataclass
class PipelineTimings:
    """The bot's pipeline metrics: the last cycle in full, plus running counts."""

    last_cycle: CycleTimings | None = None
    cycles: int = 0
    timeouts: int = 0
    last_timeout_at: datetime | None = None

    def record_cycle(self, report: CycleReport) -> CycleTimings:
        self.last_cycle = CycleTimings.of(report)
        self.cycles += 1
        return self.last_cycle

    def record_timeout(self) -> None:
        """A cycle was cancelled by its time limit (it left no report)."""
        self.timeouts += 1
        self.last_timeout_at = datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    config: AdminConfig
    http: httpx.AsyncClient  # shared by every source fetch (keep-alive, limits)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    timings: PipelineTimings = field(default_factory=PipelineTimings)
    _classifier: TopicClassifier | None = None
    _classifier_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def classifier(self) -> TopicClassifier:
        """The topic classifier, loaded on first use in a worker thread (loading takes ~0.2 s
        of CPU that must not stall the event loop) and kept for the life of the process."""
        async with self._classifier_lock:
            if self._classifier is None:
                from classifiers import CustomTopic, load_classifier

                classifier_config = self.config.classifier
                custom = [
                    CustomTopic(key, topic.description, tuple(topic.examples))
                    for key, topic in self.config.topics.items()
                    if topic.description
                ]
                self._classifier = await asyncio.to_thread(
                    load_classifier,
                    classifier_config.model_dir,
                    custom_topics=custom,
                    threads=classifier_config.threads,
                    batch_size=classifier_config.batch_size,
                )
                _LOGGER.info("classifier loaded: topics %s", ", ".join(self._classifier.topics))
            return self._classifier

    def replace_config(self, config: AdminConfig) -> None:
        """Swap in a newly validated config; a changed set of custom topics reloads the model."""
        old_custom = {k: v for k, v in self.config.topics.items() if v.description}
        new_custom = {k: v for k, v in config.topics.items() if v.description}
        if old_custom != new_custom or self.config.classifier != config.classifier:
            self._classifier = None
        self.config = config

    async def close(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()


async def create_services(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    return Services(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        config=settings.config,
        http=create_http_client(settings.config.polling),
    )
