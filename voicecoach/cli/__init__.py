"""The command line: click commands only. They parse flags, call the core
and print; errors become messages and exit codes in base.handle_errors.

Each module registers its commands on the one group, `main`."""

from voicecoach.cli import doctor, history, plan, practice, questions, screens, views  # noqa: F401  (register the commands)
from voicecoach.cli.base import main
from voicecoach.cli.screens import _set_short_help

_set_short_help(main)

__all__ = ["main"]
