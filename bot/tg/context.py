"""Typed ``bot_data`` and the context type every handler receives.

``BotData`` is what PTB instantiates with no arguments at build time; ``post_init`` fills in
``services``. Subscribers live in the database, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.services import Services


@dataclass
class BotData:
    services: Services | None = None
    config_mtime: float | None = None
    # Paused sources already told to admins (name -> paused_at); None until the first check.
    paused_sources: dict[str, datetime] | None = None
    notices_sent: dict[str, datetime] = field(default_factory=dict)


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


class NotReadyError(RuntimeError):
    """A handler ran before ``post_init`` created the services (never expected in practice)."""


def services_of(context: Context) -> Services:
    services = context.bot_data.services
    if services is None:
        raise NotReadyError("services are not initialised yet")
    return services
