"""Exceptions for bad input. The CLI and the app show their message, never a traceback."""


class InputError(ValueError):
    """Bad user input: the message says what is wrong, where, and what to do."""
