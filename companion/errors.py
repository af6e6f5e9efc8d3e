"""The base of every user-facing error outside the model layer."""


class CompanionError(Exception):
    """Expected failure with a one-line message the user can act on."""

    exit_code = 1
