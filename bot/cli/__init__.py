"""The ``parley`` command line: one sub-command per module, wired here.

Every command loads and validates the same settings before it starts, and turns expected
failures (a bad config, an unreachable database, wrong usage) into one line on stderr and a
non-zero exit: an admin should never have to read a traceback to fix a typo.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.cli.common import CommandError
from bot.settings import ConfigError

COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "check_config",
    "db",
    "fetch",
    "poll",
    "eval_stories",
    "classify",
    "eval",
    "train",
)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but wrong usage is one line with a pointer to --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="parley",
        description="Parley: Telegram alerts for talks, de-escalation and security guarantees.",
    )
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_Parser, required=True
    )
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"bot.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"parley: configuration problems in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"parley: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("parley: interrupted", file=sys.stderr)
        return 130
    return code
