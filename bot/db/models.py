"""The database schema, as typed ``Mapped[]`` models.

One table per thing the product must remember across restarts: where news comes from and how
polling it went (``sources``), what was read (``items`` and their per-topic ``item_scores``),
which items are one event (``stories`` and ``story_topics``), who wants what (``chats``), and what
must be or was sent (``deliveries``, an outbox with a unique key per story and chat), plus the
relevance feedback people give. Timestamps are timezone-aware UTC everywhere.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime that always comes back timezone-aware UTC.

    SQLite has no time-zone type and returns naive datetimes; PostgreSQL returns aware ones.
    Normalising here means no caller ever compares naive with aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints: Alembic can only alter or drop what has a name.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class ItemState(enum.StrEnum):
    """Where an item is in the pipeline; a crash between stages leaves it to be picked up."""

    NEW = "new"
    CLASSIFIED = "classified"
    CLUSTERED = "clustered"
    FAILED = "failed"


class ChatStatus(enum.StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # /stop: settings kept, /start resumes
    BLOCKED = "blocked"  # Telegram said 403 or chat not found


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Source(Base):
    """A configured source and its fetch state (the config names it; the database remembers it)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    error_streak: Mapped[int] = mapped_column(default=0)
    fetch_count: Mapped[int] = mapped_column(default=0)
    not_modified_count: Mapped[int] = mapped_column(default=0)
    items_seen: Mapped[int] = mapped_column(default=0)
    feed_ttl_seconds: Mapped[int | None]  # the feed's own <ttl>, kept for polls that get a 304
    next_poll_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """One news item, stored once: the fingerprint is unique across all sources."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    guid: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    url_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(index=True)
    published_estimated: Mapped[bool] = mapped_column(default=False)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[ItemState] = mapped_column(_enum(ItemState), default=ItemState.NEW)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )


class ItemScore(Base):
    """A classifier score per item and topic, kept so admins can tune thresholds from evidence."""

    __tablename__ = "item_scores"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)


class Story(Base):
    """One event as reported by one or more outlets: the unit of alerting."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    lead_item_id: Mapped[int | None]  # no FK: items and stories point at each other
    lead_source: Mapped[str | None] = mapped_column(String(80))
    outlets: Mapped[list[str]] = mapped_column(default=list)
    places: Mapped[list[str]] = mapped_column(default=list)
    # Named places and actors of the story's items (lower-cased), used to keep apart events the
    # encoder finds alike (talks in Geneva on Iran vs talks in Geneva on Ukraine).
    entities: Mapped[list[str]] = mapped_column(default=list)
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    item_count: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)
    matched_revision: Mapped[int] = mapped_column(default=0, index=True)
    alerted_at: Mapped[datetime | None]
    closed: Mapped[bool] = mapped_column(default=False)


class StoryTopic(Base):
    """A topic a story carries, with its best score and the sentence that supports it."""

    __tablename__ = "story_topics"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Chat(Base):
    """A subscriber: a private chat, a group or a channel, with its filters."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ChatStatus] = mapped_column(_enum(ChatStatus), default=ChatStatus.ACTIVE)
    topics: Mapped[list[str]] = mapped_column(default=list)
    sensitivity: Mapped[str] = mapped_column(String(8), default="normal")
    keywords_include: Mapped[list[str]] = mapped_column(default=list)
    keywords_exclude: Mapped[list[str]] = mapped_column(default=list)
    countries: Mapped[list[str]] = mapped_column(default=list)
    mode: Mapped[str] = mapped_column(String(8), default="instant")
    digest_time: Mapped[str] = mapped_column(String(5), default="08:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    muted_until: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    is_broadcast: Mapped[bool] = mapped_column(default=False)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """The outbox: one row per story and chat, so nothing is queued twice, even across processes."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "chat_id", name="uq_deliveries_story_chat"),
        Index("ix_deliveries_due", "status", "not_before", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[list[str]] = mapped_column(default=list)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_revision: Mapped[int] = mapped_column(default=0)
    edit_pending: Mapped[bool] = mapped_column(default=False)
    # Sent inside one combined (burst or digest) message: never edited on its own.
    combined: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """A 👍/👎 on an alert, with the score that produced it, for threshold reviews."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("story_id", "user_id", name="uq_feedback_story_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    vote: Mapped[int] = mapped_column(Integer)
    topic_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
