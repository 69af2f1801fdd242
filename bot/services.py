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
    from classifiers import TopicClassifier

_LOGGER = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    config: AdminConfig
    http: httpx.AsyncClient  # shared by every source fetch (keep-alive, limits)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
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
