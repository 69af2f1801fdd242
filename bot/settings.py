"""Configuration: admin tuning from a TOML file, secrets and deployment values from the environment.

Two layers, on purpose. Admins edit ``config/parley.toml`` (sources, topics, thresholds, limits);
it is validated by models that forbid unknown keys, so a misspelt key fails loudly instead of
being ignored. Secrets (the bot token, the database URL with its password) never live in that
file: they come from the environment only, and the token is a ``SecretStr`` so it stays out of
reprs and logs. This module imports nothing from the rest of the project.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

CORE_TOPICS: tuple[str, ...] = ("talks", "de-escalation", "security-guarantees")
DEFAULT_CONFIG_PATH = Path("config/parley.toml")
DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TOPIC_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


def _check_probability(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be between 0 and 1")
    return value


Probability = Annotated[float, AfterValidator(_check_probability)]
PositiveSeconds = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_hhmm(value: str) -> str:
    try:
        time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be a time of day as HH:MM, for example 08:00") from exc
    return value


HourMinute = Annotated[str, AfterValidator(_check_hhmm)]


class GeneralConfig(_Strict):
    data_dir: Path = Field(
        default=Path("data"),
        description="Where the default SQLite database and caches live; created on first run.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class TelegramConfig(_Strict):
    api_base_url: str = DEFAULT_TELEGRAM_API_BASE_URL
    admins: list[int] = Field(default_factory=list, description="Telegram user ids of admins.")
    admin_chat_id: int | None = Field(
        default=None, description="Chat that receives admin notices; defaults to each admin."
    )
    channels: dict[str, int | str] = Field(
        default_factory=dict,
        description="Broadcast channel per topic key ('*' for all topics): id or @username.",
    )

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        _require_http_url(value)
        return value.rstrip("/")


def _require_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")


class PollingConfig(_Strict):
    default_interval_seconds: PositiveSeconds = 600
    min_interval_seconds: PositiveSeconds = 60
    max_interval_seconds: PositiveSeconds = 6 * 3600
    cycle_timeout_seconds: PositiveSeconds = 120
    max_concurrency: Annotated[int, Field(ge=1, le=512)] = 16
    per_host_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    connect_timeout_seconds: PositiveSeconds = 10
    read_timeout_seconds: PositiveSeconds = 30
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10_000_000
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    backoff_max_seconds: PositiveSeconds = 6 * 3600
    pause_after_failures: Annotated[int, Field(ge=1)] = 48
    gdelt_min_spacing_seconds: PositiveSeconds = 5.5
    user_agent: str = "Parley/0.1 (diplomacy news alerts; +https://github.com/parley-bot/parley)"

    @model_validator(mode="after")
    def _bounds(self) -> PollingConfig:
        if self.min_interval_seconds > self.max_interval_seconds:
            raise ValueError("min_interval_seconds must not exceed max_interval_seconds")
        return self


SourceKind = Literal["rss", "atom", "jsonfeed", "gdelt", "file"]


class SourceConfig(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    kind: SourceKind
    url: str = Field(description="http(s) URL, or for kind=file a path or file:// URL.")
    interval_seconds: PositiveSeconds | None = None
    enabled: bool = True
    language: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    trust: Literal["high", "standard", "low"] = "standard"
    full_text: bool = False
    query: str | None = Field(default=None, description="GDELT DOC API query (kind=gdelt).")

    @model_validator(mode="after")
    def _url_fits_kind(self) -> SourceConfig:
        if self.kind == "file":
            if urlsplit(self.url).scheme not in ("", "file"):
                raise ValueError("url: a file source takes a path or a file:// URL")
        else:
            try:
                _require_http_url(self.url)
            except ValueError as exc:
                raise ValueError(f"url: {exc}") from None
        if self.kind == "gdelt" and not self.query:
            raise ValueError("query: a gdelt source needs a query")
        return self


class TopicConfig(_Strict):
    threshold: Probability = 0.5
    label: str = ""
    emoji: str = "•"
    description: str | None = None
    examples: list[str] = Field(default_factory=list)


class SensitivityConfig(_Strict):
    """Offsets applied to every topic threshold for /sensitivity strict and broad."""

    strict_offset: Annotated[float, Field(ge=0, le=0.5)] = 0.1
    broad_offset: Annotated[float, Field(ge=0, le=0.5)] = 0.15


class ClassifierConfig(_Strict):
    model_dir: Path | None = None
    threads: Annotated[int, Field(ge=1, le=64)] = 1
    batch_size: Annotated[int, Field(ge=1, le=256)] = 16


class StoriesConfig(_Strict):
    similarity_threshold: Probability = 0.62
    window_hours: PositiveSeconds = 48
    summary_max_chars: Annotated[int, Field(ge=80, le=1000)] = 400
    summary_max_sentences: Annotated[int, Field(ge=1, le=5)] = 3


class DeliveryConfig(_Strict):
    global_per_second: PositiveSeconds = 30
    private_chat_per_second: PositiveSeconds = 1
    group_per_minute: PositiveSeconds = 20
    burst_limit: Annotated[int, Field(ge=1, le=50)] = 5
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    edit_window_hours: PositiveSeconds = 47
    senders: Annotated[int, Field(ge=1, le=256)] = 32


class LimitsConfig(_Strict):
    max_keywords: Annotated[int, Field(ge=1, le=200)] = 20
    max_keyword_length: Annotated[int, Field(ge=2, le=200)] = 60
    max_countries: Annotated[int, Field(ge=1, le=250)] = 20
    latest_default: Annotated[int, Field(ge=1, le=50)] = 5
    latest_max: Annotated[int, Field(ge=1, le=50)] = 20


class AdminConfig(_Strict):
    """The whole admin file. Everything has a default except the sources."""

    general: GeneralConfig = GeneralConfig()
    telegram: TelegramConfig = TelegramConfig()
    polling: PollingConfig = PollingConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    sensitivity: SensitivityConfig = SensitivityConfig()
    stories: StoriesConfig = StoriesConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    limits: LimitsConfig = LimitsConfig()
    topics: dict[str, TopicConfig] = Field(
        default_factory=lambda: {key: TopicConfig() for key in CORE_TOPICS}
    )
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("topics")
    @classmethod
    def _topics_known(cls, topics: dict[str, TopicConfig]) -> dict[str, TopicConfig]:
        problems = []
        for key, topic in topics.items():
            if not TOPIC_KEY_PATTERN.match(key):
                problems.append(f"{key!r} is not a valid topic key (a-z, 0-9 and '-')")
            elif key not in CORE_TOPICS and not topic.description:
                problems.append(f"{key}: a custom topic needs a description")
        missing = [key for key in CORE_TOPICS if key not in topics]
        if missing:
            problems.append(f"core topics missing: {', '.join(missing)}")
        if problems:
            raise ValueError("; ".join(problems))
        return topics

    @model_validator(mode="after")
    def _cross_checks(self) -> AdminConfig:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"sources: duplicate source names: {', '.join(duplicates)}")
        unknown = sorted(set(self.telegram.channels) - set(self.topics) - {"*"})
        if unknown:
            raise ValueError(f"telegram.channels: unknown topics: {', '.join(unknown)}")
        return self

    def interval_for(self, source: SourceConfig) -> float:
        """The polling interval of a source, clamped to the configured bounds."""
        wanted = source.interval_seconds or self.polling.default_interval_seconds
        return min(
            max(wanted, self.polling.min_interval_seconds), self.polling.max_interval_seconds
        )

    @property
    def thresholds(self) -> dict[str, float]:
        return {key: topic.threshold for key, topic in self.topics.items()}


@dataclass(frozen=True)
class ConfigError(Exception):
    """A config file that cannot be used, with one human-readable line per problem."""

    path: Path
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(self.problems)


def _error_path(location: tuple[int | str, ...]) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-after", "function-before")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


_NESTED_KEY = re.compile(r"^([a-z0-9_-]+): (.*)$", re.DOTALL)


def format_validation_error(error: ValidationError) -> tuple[str, ...]:
    """Turn pydantic's error list into ``path: message`` lines an admin can act on."""
    lines = []
    for item in error.errors(include_url=False):
        where = _error_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        nested = _NESTED_KEY.match(message)
        if nested and where:
            where, message = f"{where}.{nested[1]}", nested[2]
        lines.append(f"{where}: {message}" if where else message)
    return tuple(lines)


def load_admin_config(path: Path) -> AdminConfig:
    """Read and validate the admin file; raise ``ConfigError`` listing every problem."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ("file not found",)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, (f"cannot read: {exc}",)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, (f"not valid TOML: {exc}",)) from None
    try:
        return AdminConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, format_validation_error(exc)) from None


def normalise_database_url(url: str) -> str:
    """Accept the URL forms hosting platforms set and give SQLAlchemy its async driver.

    Heroku-style platforms set ``postgres://``; SQLAlchemy wants ``postgresql+asyncpg://``.
    asyncpg does not understand libpq's ``sslmode``, so it becomes ``ssl``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://… or sqlite:///…")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        rest = re.sub(r"([?&])sslmode=", r"\1ssl=", rest)
        return f"postgresql+asyncpg://{rest}"
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported (use postgresql or sqlite)")


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    return re.sub(r"(://[^/:@]+:)[^@/]*@", r"\1***@", url)


@dataclass(frozen=True)
class Settings:
    """Everything a command needs: the validated admin file plus the environment's values."""

    config_path: Path
    config: AdminConfig
    bot_token: SecretStr | None
    database_url: str
    telegram_api_base_url: str

    @property
    def dry_run_only(self) -> bool:
        return self.bot_token is None


def load_settings(config_path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build ``Settings`` from a config path (or ``PARLEY_CONFIG``) and the environment."""
    environ = dict(os.environ) if env is None else env
    path = config_path or Path(environ.get("PARLEY_CONFIG") or DEFAULT_CONFIG_PATH)
    config = load_admin_config(path)
    problems = []
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
        problems.append("TELEGRAM_BOT_TOKEN: does not look like a bot token (id:secret)")
    raw_db = environ.get("DATABASE_URL", "").strip()
    database_url = ""
    if raw_db:
        try:
            database_url = normalise_database_url(raw_db)
        except ValueError as exc:
            problems.append(f"DATABASE_URL: {exc}")
    else:
        data_dir = config.general.data_dir
        database_url = f"sqlite+aiosqlite:///{data_dir / 'parley.sqlite3'}"
    base_url = environ.get("TELEGRAM_API_BASE_URL", "").strip() or config.telegram.api_base_url
    try:
        _require_http_url(base_url)
    except ValueError as exc:
        problems.append(f"TELEGRAM_API_BASE_URL: {exc}")
    if problems:
        raise ConfigError(Path("environment"), tuple(problems))
    return Settings(
        config_path=path,
        config=config,
        bot_token=SecretStr(token) if token else None,
        database_url=database_url,
        telegram_api_base_url=base_url.rstrip("/"),
    )
