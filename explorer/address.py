"""A page's settings as they stand in its address (``?name=text``): one way to write a value, read it back and
check it against what the setting's widget allows. The pages (:func:`explorer.ui.common.choice`) and the lesson
files (:mod:`explorer.lessons`) both go through here, so a lesson step sets a page exactly as a bookmark does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BOUNDS = ("options", "min_value", "max_value", "step", "max_selections")  # what a widget allows, as choice() keeps it


def address_text(value: Any) -> str:
    """``value`` as it stands in the address: ``1``/``0`` for a flag, a list comma-separated, nothing for None."""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    if value is None:
        return ""
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def allowed(value: Any, bounds: Mapping[str, Any]) -> bool:
    """Whether a widget with ``bounds`` (its ``options``, ``min_value``, ``max_value``) can show ``value``."""
    options = bounds.get("options")
    values = value if isinstance(value, list) else [value]
    if options is not None and not all(v in list(options) for v in values if v is not None):
        return False
    low, high = bounds.get("min_value"), bounds.get("max_value")
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return all((low is None or low <= v) and (high is None or v <= high) for v in numbers)


def parse_text(text: str, default: Any, bounds: Mapping[str, Any]) -> Any:
    """The value ``text`` from the address stands for, of the type of ``default`` (or of the options); a
    ValueError when it is not one or the widget cannot show it."""
    options = list(bounds.get("options") or ())
    like = (default[:1] or [None])[0] if isinstance(default, list) else default
    like = next((o for o in options if o is not None), None) if like is None else like
    if isinstance(default, list):
        value: Any = [_parsed(t, like) for t in text.split(",") if t]
    else:
        value = _parsed(text, like)
    if not allowed(value, bounds):
        raise ValueError(text)
    return value


def _parsed(text: str, like: Any) -> Any:
    """``text`` as a value of ``like``'s type (ValueError when it is not one)."""
    if isinstance(like, bool):
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    return type(like)(text) if like is not None else text
