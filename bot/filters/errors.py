"""The one error type bad subscriber input raises, carrying a message key and its values.

The key, not an English sentence, crosses the boundary so that the Telegram layer can word it
(``bot.tg.texts``) in the chat's language; ``str()`` gives a plain English fallback for logs
and for callers without a UI.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Subscriber input that cannot be used; nothing was changed."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        detail = ", ".join(f"{name}={value!r}" for name, value in params.items())
        super().__init__(f"{key}: {detail}" if detail else key)
