"""The one kind of error the explorer shows to people, and the one range check that raises it.

A :class:`UserError` is a bad input or setting: its message is a single line that says why and what to do.
The command line prints it and exits with status 2; a page shows it in place of what it could not compute.
Anything else that goes wrong is a bug, and is reported as one (a traceback, exit status 1).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TypeVar

from explorer.language import _

DETAIL_CHARS = 120
N = TypeVar("N", int, float)
C = TypeVar("C")


class UserError(ValueError):
    """A bad input or setting; the message, folded onto one line, says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


E = TypeVar("E", bound=UserError)


def check_range(
    name: str, value: N, low: N, high: N, *, whole: bool = True, above_low: bool = False, error: type[E] = UserError
) -> N:
    """``value`` if it is a number from ``low`` to ``high`` (above ``low`` with ``above_low``; a whole number
    unless ``whole`` is False); otherwise a UserError (or the subclass ``error``) naming ``name``, the range and
    the value given."""
    number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if whole and not isinstance(value, int):
        number = False
    inside = number and (low < value if above_low else low <= value) and value <= high
    if not inside:
        if above_low:
            template = _("{name} must be a number above {low} and at most {high}; got {value}")
        elif whole:
            template = _("{name} must be a whole number from {low} to {high}; got {value}")
        else:
            template = _("{name} must be a number from {low} to {high}; got {value}")
        raise error(template.format(name=name, low=_number(low), high=_number(high), value=repr(value)))
    return value


def check_choice(name: str, value: C, allowed: Collection[C]) -> C:
    """``value`` if it is one of ``allowed``; otherwise a UserError naming ``name`` and the choices."""
    flags = any(isinstance(a, bool) for a in allowed)
    if value not in allowed or (isinstance(value, bool) and not flags):
        choices = ", ".join(map(str, allowed))
        raise UserError(
            _("{name} must be one of {choices}; got {value}").format(name=name, choices=choices, value=repr(value))
        )
    return value


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def short_detail(error: BaseException) -> str:
    """An exception as a short single line, for the end of a message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
