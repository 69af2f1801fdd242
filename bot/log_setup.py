"""Logging for every command: one format, quiet HTTP libraries, and secrets redacted.

httpx logs every request URL at INFO, and Telegram's URLs carry the bot token
(``/bot<token>/sendMessage``), so a redacting filter sits on the root handler rather than
trusting every library to be careful.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_URL_PASSWORD_PATTERN = re.compile(r"(://[^/:@\s]+:)[^@/\s]+@")


class RedactingFilter(logging.Filter):
    """Replaces bot tokens, URL passwords and any explicitly given secret in log records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        text = _TOKEN_PATTERN.sub("[REDACTED]", text)
        return _URL_PASSWORD_PATTERN.sub(r"\1***@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
