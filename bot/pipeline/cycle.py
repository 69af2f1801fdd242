"""One scheduled cycle, top to bottom: poll → normalise → deduplicate → classify → cluster →
summarise → match → deliver.

Each stage is a function of the database and its own inputs; this module only calls them in
order, so it is the one place where the whole pipeline is visible. Normalising and
deduplicating happen inside polling (an item is stored once, as ``new``); summaries are
written by clustering. A stage that fails is logged and reported, and the later stages still
run on whatever earlier cycles left in the database: progress lives in ``items.state``,
``stories.matched_revision`` and the outbox, so nothing is lost between stages or cycles.

Delivery is the last stage only when a ``Dispatcher`` is passed (the CLI, the dry run, tests).
The bot instead runs a continuous dispatcher beside the cycle, woken through ``on_matched``,
so alerts go out while the next poll is already running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.db.models import utcnow
from bot.delivery.channels import ChatResolver, sync_channels
from bot.delivery.dispatcher import DeliveryReport, Dispatcher
from bot.pipeline.classify import ClassifyReport, classify_new_items
from bot.pipeline.cluster import ClusterReport, cluster_classified_items
from bot.pipeline.match import MatchReport, match_stories
from bot.pipeline.poll import PollReport, poll_sources
from bot.settings import AdminConfig

if TYPE_CHECKING:
    from bot.services import Services
    from bot.sources import Politeness

_LOGGER = logging.getLogger(__name__)
MIN_CYCLE_SECONDS = 10.0
DUE_SLACK = 0.1  # share of the cycle interval


def cycle_interval(config: AdminConfig) -> float:
    """How often to run the cycle: the shortest polling interval of any enabled source. The
    poll stage skips sources that are not due, so ticking at the fastest source's pace loses
    nothing and polls each source on its own schedule."""
    intervals = [config.interval_for(s) for s in config.sources if s.enabled]
    return max(MIN_CYCLE_SECONDS, min(intervals, default=config.polling.default_interval_seconds))


@dataclass
class CycleReport:
    started_at: datetime = field(default_factory=utcnow)
    poll: PollReport | None = None
    classify: ClassifyReport | None = None
    cluster: ClusterReport | None = None
    match: MatchReport | None = None
    delivery: DeliveryReport | None = None
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        """One log line an admin can read."""
        parts = []
        if self.poll is not None:
            parts.append(
                f"polled {len(self.poll.sources)} sources, {len(self.poll.new_item_ids)} new items"
                f" ({len(self.poll.errors)} errors)"
            )
        if self.classify is not None:
            parts.append(f"classified {self.classify.classified}")
        if self.cluster is not None:
            parts.append(
                f"{len(self.cluster.new_story_ids)} new / "
                f"{len(self.cluster.updated_story_ids)} updated stories"
            )
        if self.match is not None:
            parts.append(f"queued {self.match.deliveries} alerts")
        if self.delivery is not None:
            parts.append(
                f"sent {self.delivery.sent + self.delivery.combined_messages}, "
                f"edited {self.delivery.edited}, deferred {self.delivery.deferred}"
            )
        parts += [f"{stage} FAILED: {error}" for stage, error in self.errors.items()]
        total = sum(self.seconds.values())
        return f"cycle: {'; '.join(parts) or 'nothing to do'} in {total:.1f} s"


class _Stages:
    """Runs each stage, timing it and turning its failure into a report entry."""

    def __init__(self, report: CycleReport) -> None:
        self.report = report

    async def run(self, name: str, stage: Callable[[], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        try:
            return await stage()
        except Exception as exc:
            _LOGGER.exception("cycle stage %s failed; the next stages still run", name)
            self.report.errors[name] = f"{type(exc).__name__}: {exc}"
            return None
        finally:
            self.report.seconds[name] = time.perf_counter() - started


async def run_once(
    services: Services,
    *,
    dispatcher: Dispatcher | None = None,
    politeness: Politeness | None = None,
    resolver: ChatResolver | None = None,
    channel_cache: dict[str, int] | None = None,
    console: bool = False,
    only_due: bool = True,
    on_matched: Callable[[MatchReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> CycleReport:
    """Every stage once, in order; never raises for a stage's failure."""
    config = services.config  # one config for the whole cycle, even if reloaded meanwhile
    sessionmaker = services.sessionmaker
    report = CycleReport()
    stages = _Stages(report)

    # A source polled a moment after the last tick is due a moment after this one: count it
    # as due now rather than an interval later.
    due_by = (now or utcnow()) + timedelta(seconds=DUE_SLACK * cycle_interval(config))
    report.poll = await stages.run(
        "poll",
        lambda: poll_sources(
            sessionmaker,
            services.http,
            config,
            politeness=politeness,
            only_due=only_due,
            now=due_by,
        ),
    )

    async def classify() -> ClassifyReport:
        classifier = await services.classifier()
        return await classify_new_items(sessionmaker, classifier, config.thresholds)

    report.classify = await stages.run("classify", classify)
    report.cluster = await stages.run(
        "cluster",
        lambda: cluster_classified_items(
            sessionmaker, config.stories, story_topic_thresholds(config), now=now
        ),
    )
    await stages.run(
        "channels",
        lambda: sync_channels(sessionmaker, config, resolver=resolver, cache=channel_cache),
    )
    report.match = await stages.run(
        "match", lambda: match_stories(sessionmaker, config, now=now, console=console)
    )
    if report.match is not None and report.match.deliveries and on_matched is not None:
        on_matched(report.match)
    if dispatcher is not None:
        report.delivery = await stages.run("deliver", lambda: dispatcher.drain(should_stop))
    return report


def story_topic_thresholds(config: AdminConfig) -> dict[str, float]:
    """The lowest threshold any chat can use (``/sensitivity broad``).

    Stories record every topic at or above it, so a broad chat can match a topic that scores
    just under the admin's threshold; each chat's own threshold is applied when matching.
    """
    offset = config.sensitivity.broad_offset
    return {topic: max(0.05, threshold - offset) for topic, threshold in config.thresholds.items()}
