"""Delivery: the outbox, rate limits, the ``Sender`` protocol and its typed outcomes.

Nothing here imports ``telegram``: ``bot.tg.deliver.TelegramSender`` implements ``Sender`` for
the real Bot API, ``bot.delivery.console.ConsoleSender`` prints to a terminal, and tests and
benchmarks drive the same code against a fake Bot API server.
"""
