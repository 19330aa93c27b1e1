"""Errors split by cause.

`UserError` and its children are the user's to fix (configuration, input, content): the message says what is wrong
and how to fix it, and the CLI prints it without a traceback. `RunError` is a failure while running (a model or a
server that broke mid-way): it is reported as such and is never turned into a made-up result.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base of every error the project raises on purpose."""


class UserError(TrainerError):
    """Something the user can fix: a setting, a file, an argument."""


class ConfigError(UserError):
    """A setting is missing or wrong. The message names the setting."""


class InputError(UserError):
    """An argument or a message the user typed is not acceptable (empty, too long, unknown id)."""


class ContentError(UserError):
    """A content file (persona, rubric, prompt, playbook, transcript) is invalid.

    `problems` holds `file: field: problem` lines, one per problem found.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFoundError(UserError):
    """The thing asked for does not exist, or the acting user may not see it (same answer for both)."""


class AccessDenied(UserError):
    """The acting user may not do this."""


class RunError(TrainerError):
    """A failure while running: a model, a server or a store broke. Not the user's input."""
