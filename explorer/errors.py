"""The one kind of error the explorer shows to people: a single line that says what to do."""

from __future__ import annotations

DETAIL_CHARS = 120


class UserError(ValueError):
    """A bad input or setting; the message, folded onto one line, says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def short_detail(error: BaseException) -> str:
    """An exception as a short single line, for the end of a message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
