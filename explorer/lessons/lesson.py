"""A lesson file: an ordered list of steps, each a page of the explorer with its settings, what the teacher says,
and optionally a question the class answers before the result is shown.

The format (TOML) is documented field by field in README ("Writing a lesson"). :func:`parse_lesson` reads one and
checks every field against what the pages offer (:mod:`explorer.lessons.pages`): a bad file is refused with one
line naming the step and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from explorer.address import address_text, parse_text
from explorer.errors import UserError
from explorer.lessons.answers import ANSWERS
from explorer.lessons.pages import page_settings, page_titles

SHIPPED = Path(__file__).resolve().parent / "shipped"
MAX_STEPS = 60
MAX_LESSON_BYTES = 256 * 1024  # a lesson file's largest size (the shipped ones are 2-4 KB)
PAIR_SETTINGS = ("lesion_nets", "landscape_nets")  # the settings that pick a trained pair of nets
MAX_TEXT = 2000
MAX_CHOICES = 8
KINDS = ("choice", "number")
NOT_IN_LESSONS = ("projector",)  # each viewer's own: a lesson never sets it
_LESSON_FIELDS = {"title", "summary", "steps"}
_STEP_FIELDS = {"title", "page", "say", "settings", "question"}
_QUESTION_FIELDS = {"text", "kind", "choices", "answer"}


class LessonError(UserError):
    """A lesson file that cannot be used; the message names the file, the step and the field."""


@dataclass(frozen=True)
class Question:
    """A question the class answers before the step's result is shown; its answer is computed when revealed."""

    text: str
    kind: str  # "choice" or "number"
    choices: tuple[str, ...]
    answer: str  # a name in explorer.lessons.answers.ANSWERS


@dataclass(frozen=True)
class Step:
    """One step: a page (by its title), its settings as address texts, the teacher's words, and a question."""

    title: str
    page: str
    settings: dict[str, str]
    say: str
    question: Question | None

    def values(self) -> dict[str, Any]:
        """Every setting of the step's page as the step sets it: the step's own, and the page's defaults for the
        rest (what the page shows when the step opens it)."""
        offered = page_settings(self.page)
        return {
            name: parse_text(self.settings[name], bounds["default"], bounds)
            if name in self.settings
            else bounds["default"]
            for name, bounds in offered.items()
        }

    def address(self) -> dict[str, str]:
        """The step's settings as the page address holds them (a setting at its default is left out, as there)."""
        defaults = {name: address_text(s["default"]) for name, s in page_settings(self.page).items()}
        return {name: text for name, text in self.settings.items() if defaults.get(name) != text}


@dataclass(frozen=True)
class Lesson:
    """A lesson: its title, a one-paragraph summary, its steps, and the file text it was read from."""

    title: str
    summary: str
    steps: tuple[Step, ...]
    text: str

    def trained_pairs(self) -> list[str]:
        """The trained pairs of nets its steps open (the Lesions and Loss landscape pages' choice), once each."""
        return list(dict.fromkeys(step.values()[name] for step in self.steps for name in PAIR_SETTINGS
                                  if name in page_settings(step.page)))  # fmt: skip


def parse_lesson(text: str, name: str = "the lesson") -> Lesson:
    """The lesson in TOML ``text``; a LessonError naming ``name``, the step and the field when it cannot be used."""
    if (size := len(text.encode())) > MAX_LESSON_BYTES:
        raise LessonError(f"{name} is {size // 1024} KB; a lesson file is at most {MAX_LESSON_BYTES // 1024} KB")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{name} is not valid TOML: {error}") from None
    _known_fields(data, _LESSON_FIELDS, name)
    title = _text(data, "title", name, required=True)
    summary = _text(data, "summary", name)
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonError(f"{name} has no steps: add at least one [[steps]] table")
    if len(steps) > MAX_STEPS:
        raise LessonError(f"{name} has {len(steps)} steps; at most {MAX_STEPS}")
    return Lesson(title, summary, tuple(_step(raw, f"{name}, step {i}") for i, raw in enumerate(steps, 1)), text)


def load_lesson(path: Path) -> Lesson:
    """The lesson in the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LessonError(f"{path.name} cannot be read: {error}") from None
    return parse_lesson(text, path.name)


@cache
def shipped_lessons() -> dict[str, Lesson]:
    """The lessons that come with the explorer, by file name (without ``.toml``), in file-name order."""
    return {path.stem: load_lesson(path) for path in sorted(SHIPPED.glob("*.toml"))}


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict):
        raise LessonError(f"{where} must be a table ([[steps]])")
    _known_fields(raw, _STEP_FIELDS, where)
    title = _text(raw, "title", where, required=True)
    page = _text(raw, "page", where, required=True)
    if page not in page_titles():
        raise LessonError(f"{where}, field 'page': no page {page!r}; the pages are {', '.join(page_titles())}")
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where}, field 'settings' must be a table of setting = value")
    offered = page_settings(page)
    checked = {
        name: _setting(name, value, offered, f"{where} ({page}), setting {name!r}") for name, value in settings.items()
    }
    question = raw.get("question")
    if question is not None and not isinstance(question, dict):
        raise LessonError(f"{where}, field 'question' must be a table ([steps.question])")
    asked = None if question is None else _question(question, where)
    return Step(title, page, checked, _text(raw, "say", where), asked)


def _setting(name: str, value: Any, offered: dict[str, dict[str, Any]], where: str) -> str:
    """The setting's value as an address text, once the page's widget is known to show it."""
    if name in NOT_IN_LESSONS:
        raise LessonError(f"{where}: each viewer sets {name} for themselves; a lesson cannot")
    if name not in offered:
        raise LessonError(f"{where}: the page has no such setting; it has {', '.join(sorted(offered)) or 'none'}")
    if not isinstance(value, str | int | float | bool | list):
        raise LessonError(f"{where} must be a string, number, true/false or a list")
    bounds = offered[name]
    text = address_text(value)
    try:
        parse_text(text, bounds["default"], bounds)
    except (ValueError, TypeError):
        raise LessonError(f"{where}: {value!r} is not one the page offers ({_offer(bounds)})") from None
    return text


def _offer(bounds: dict[str, Any]) -> str:
    """What a setting's widget allows, in words."""
    if bounds.get("options") is not None:
        return "one of " + ", ".join(map(str, bounds["options"]))
    if isinstance(bounds["default"], bool):
        return "true or false"
    low, high = bounds.get("min_value"), bounds.get("max_value")
    return f"a number from {low} to {high}" if low is not None and high is not None else "a value of its kind"


def _question(raw: dict[str, Any], step: str) -> Question:
    where = f"{step}, question"
    _known_fields(raw, _QUESTION_FIELDS, where)
    text = _text(raw, "text", where, required=True)
    kind = _text(raw, "kind", where) or ("choice" if "choices" in raw else "number")
    if kind not in KINDS:
        raise LessonError(f"{where}, field 'kind' must be one of {', '.join(KINDS)}; got {kind!r}")
    choices = raw.get("choices", [])
    if kind == "choice":
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise LessonError(f"{where}, field 'choices': a choice question needs 2 to {MAX_CHOICES} choices")
        if not all(isinstance(c, str) and 0 < len(c) <= 64 for c in choices) or len(set(choices)) != len(choices):
            raise LessonError(f"{where}, field 'choices' must be different texts of 1 to 64 characters")
    elif choices:
        raise LessonError(f"{where}, field 'choices': a number question has no choices")
    answer = _text(raw, "answer", where, required=True)
    if answer not in ANSWERS:
        raise LessonError(f"{where}, field 'answer': no computed answer {answer!r}; there are {', '.join(ANSWERS)}")
    computed = ANSWERS[answer]
    if computed.kind != kind:
        raise LessonError(f"{where}, field 'answer': {answer} is a {computed.kind} answer, the question a {kind} one")
    if kind == "choice" and not set(computed.values) <= set(choices):
        raise LessonError(f"{where}, field 'choices' must include every answer {answer} can give: "
                          f"{', '.join(computed.values)}")  # fmt: skip
    return Question(text, kind, tuple(choices), answer)


def _known_fields(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise LessonError(f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(sorted(known))}")


def _text(raw: dict[str, Any], field: str, where: str, required: bool = False) -> str:
    value = raw.get(field, "")
    if not isinstance(value, str):
        raise LessonError(f"{where}, field {field!r} must be text")
    value = value.strip()
    if required and not value:
        raise LessonError(f"{where}, field {field!r} is missing")
    if len(value) > MAX_TEXT:
        raise LessonError(f"{where}, field {field!r} is longer than {MAX_TEXT} characters")
    return value
