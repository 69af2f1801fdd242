"""The Telegram side of Parley (python-telegram-bot v22). ``app.py`` is the only wiring module."""
