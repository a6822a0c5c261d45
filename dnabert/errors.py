"""Exceptions for bad input. The CLI and the app show their message, never a traceback."""


class InputError(ValueError):
    """Bad user input: the message says what is wrong, where, and what to do."""


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (runs of whitespace, newlines included, become one space), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
