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
from explorer.language import ENGLISH, LANGUAGES, N_, Translated, _
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
_LESSON_FIELDS = {"title", "summary", "language", "steps"}
_STEP_FIELDS = {"title", "page", "say", "settings", "question"}
_QUESTION_FIELDS = {"text", "kind", "choices", "answer"}


DIFFERENT_CHOICES = N_("{where} must be different texts of 1 to 64 characters")


def _field(where: str, field: str) -> str:
    """``step 3, field 'say'``: where a field of a lesson stands, in the reader's words."""
    return _("{where}, field {field}").format(where=where, field=repr(field))


class LessonError(UserError):
    """A lesson file that cannot be used; the message names the file, the step and the field."""


@dataclass(frozen=True)
class Question:
    """A question the class answers before the step's result is shown; its answer is computed when revealed."""

    text: Translated
    kind: str  # "choice" or "number"
    choices: tuple[str, ...]  # each choice's value: its English text (what a computed answer is), else its first
    answer: str  # a name in explorer.lessons.answers.ANSWERS
    labels: tuple[Translated, ...] = ()  # each choice as the students read it

    def label(self, value: str) -> str:
        """How ``value`` (a choice's value, or a number) reads in the current language."""
        return str(self.labels[self.choices.index(value)]) if value in self.choices else value


@dataclass(frozen=True)
class Step:
    """One step: a page (by its title), its settings as address texts, the teacher's words, and a question."""

    title: Translated
    page: str
    settings: dict[str, str]
    say: Translated
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

    title: Translated
    summary: Translated
    steps: tuple[Step, ...]
    text: str

    def texts(self) -> list[tuple[str, Translated]]:
        """Every text of the lesson with where it stands (``step 2, field 'say'``)."""
        found = [(_("field {field}").format(field="'title'"), self.title),
                 (_("field {field}").format(field="'summary'"), self.summary)]  # fmt: skip
        for number, step in enumerate(self.steps, 1):
            at = _("step {number}").format(number=number)
            found += [(_field(at, "title"), step.title), (_field(at, "say"), step.say)]
            if step.question is not None:
                asked = _("{where}, question").format(where=at)
                found.append((_field(asked, "text"), step.question.text))
                found += [(_("{where}, choice {number}").format(where=asked, number=i), label)
                          for i, label in enumerate(step.question.labels, 1)]  # fmt: skip
        return [(where, text) for where, text in found if text]

    def languages(self) -> tuple[str, ...]:
        """The languages the lesson's texts are given in, in the explorer's order."""
        given = {code for _where, text in self.texts() for code in text.languages()}
        return tuple(code for code in LANGUAGES if code in given)

    def untranslated(self) -> list[str]:
        """One line for each text missing in a language the lesson uses elsewhere, and one when the whole lesson
        is in a single language: what the lesson check warns about (readers of a missing language get English,
        else the text's first language)."""
        languages = self.languages()
        missing = [_("{where}: no {language} text").format(where=where, language=code)
                   for where, text in self.texts() for code in languages if code not in text.languages()]  # fmt: skip
        if len(languages) == 1:
            others = ", ".join(code for code in LANGUAGES if code not in languages)
            missing.append(_("every text is in {language} only: readers of {others} read it in {language}").format(
                language=languages[0], others=others))  # fmt: skip
        return missing

    def trained_pairs(self) -> list[str]:
        """The trained pairs of nets its steps open (the Lesions and Loss landscape pages' choice), once each."""
        return list(dict.fromkeys(step.values()[name] for step in self.steps for name in PAIR_SETTINGS
                                  if name in page_settings(step.page)))  # fmt: skip


def parse_lesson(text: str, name: str = "the lesson") -> Lesson:
    """The lesson in TOML ``text``; a LessonError naming ``name``, the step and the field when it cannot be used."""
    if (size := len(text.encode())) > MAX_LESSON_BYTES:
        raise LessonError(_("{lesson} is {size} KB; a lesson file is at most {most} KB").format(
            lesson=name, size=size // 1024, most=MAX_LESSON_BYTES // 1024))  # fmt: skip
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LessonError(_("{lesson} is not valid TOML: {error}").format(lesson=name, error=error)) from None
    _known_fields(data, _LESSON_FIELDS, name)
    language = data.get("language", ENGLISH)
    if language not in LANGUAGES:
        raise LessonError(_("{where} must be one of {choices}; got {value}").format(
            where=_field(name, "language"), choices=", ".join(LANGUAGES), value=repr(str(language)[:20])))  # fmt: skip
    title = _text(data, "title", name, language, required=True)
    summary = _text(data, "summary", name, language)
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonError(_("{lesson} has no steps: add at least one [[steps]] table").format(lesson=name))
    if len(steps) > MAX_STEPS:
        raise LessonError(_("{lesson} has {count} steps; at most {most}").format(
            lesson=name, count=len(steps), most=MAX_STEPS))  # fmt: skip
    return Lesson(
        title,
        summary,
        tuple(
            _step(raw, _("{lesson}, step {number}").format(lesson=name, number=i), language)
            for i, raw in enumerate(steps, 1)
        ),
        text,
    )


def load_lesson(path: Path) -> Lesson:
    """The lesson in the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LessonError(_("{lesson} cannot be read: {error}").format(lesson=path.name, error=error)) from None
    return parse_lesson(text, path.name)


@cache
def shipped_lessons() -> dict[str, Lesson]:
    """The lessons that come with the explorer, by file name (without ``.toml``), in file-name order."""
    return {path.stem: load_lesson(path) for path in sorted(SHIPPED.glob("*.toml"))}


def _step(raw: Any, where: str, language: str) -> Step:
    if not isinstance(raw, dict):
        raise LessonError(_("{where} must be a table ([[steps]])").format(where=where))
    _known_fields(raw, _STEP_FIELDS, where)
    title = _text(raw, "title", where, language, required=True)
    page = _plain_text(raw, "page", where, required=True)
    if page not in page_titles():
        raise LessonError(_("{where}: no page {page}; the pages are {pages}").format(
            where=_field(where, "page"), page=repr(page), pages=", ".join(page_titles())))  # fmt: skip
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(_("{where} must be a table of setting = value").format(where=_field(where, "settings")))
    offered = page_settings(page)
    checked = {
        name: _setting(
            name, value, offered, _("{where} ({page}), setting {name}").format(where=where, page=page, name=repr(name))
        )
        for name, value in settings.items()
    }
    question = raw.get("question")
    if question is not None and not isinstance(question, dict):
        raise LessonError(_("{where} must be a table ([steps.question])").format(where=_field(where, "question")))
    asked = None if question is None else _question(question, where, language)
    return Step(title, page, checked, _text(raw, "say", where, language), asked)


def _setting(name: str, value: Any, offered: dict[str, dict[str, Any]], where: str) -> str:
    """The setting's value as an address text, once the page's widget is known to show it."""
    if name in NOT_IN_LESSONS:
        raise LessonError(_("{where}: each viewer sets {name} for themselves; a lesson cannot").format(
            where=where, name=name))  # fmt: skip
    if name not in offered:
        raise LessonError(_("{where}: the page has no such setting; it has {settings}").format(
            where=where, settings=", ".join(sorted(offered)) or _("none")))  # fmt: skip
    if not isinstance(value, str | int | float | bool | list):
        raise LessonError(_("{where} must be a string, number, true/false or a list").format(where=where))
    bounds = offered[name]
    text = address_text(value)
    try:
        parse_text(text, bounds["default"], bounds)
    except (ValueError, TypeError):
        raise LessonError(_("{where}: {value} is not one the page offers ({offer})").format(
            where=where, value=repr(value), offer=_offer(bounds))) from None  # fmt: skip
    return text


def _offer(bounds: dict[str, Any]) -> str:
    """What a setting's widget allows, in words."""
    if bounds.get("options") is not None:
        return _("one of {options}").format(options=", ".join(map(str, bounds["options"])))
    if isinstance(bounds["default"], bool):
        return _("true or false")
    low, high = bounds.get("min_value"), bounds.get("max_value")
    if low is not None and high is not None:
        return _("a number from {low} to {high}").format(low=low, high=high)
    return _("a value of its kind")


def _question(raw: dict[str, Any], step: str, language: str) -> Question:
    where = _("{where}, question").format(where=step)
    _known_fields(raw, _QUESTION_FIELDS, where)
    text = _text(raw, "text", where, language, required=True)
    kind = _plain_text(raw, "kind", where) or ("choice" if "choices" in raw else "number")
    if kind not in KINDS:
        raise LessonError(_("{where} must be one of {choices}; got {value}").format(
            where=_field(where, "kind"), choices=", ".join(KINDS), value=repr(kind)))  # fmt: skip
    given = raw.get("choices", [])
    labels: tuple[Translated, ...] = ()
    if kind == "choice":
        if not isinstance(given, list) or not 2 <= len(given) <= MAX_CHOICES:
            raise LessonError(_("{where}: a choice question needs 2 to {most} choices").format(
                where=_field(where, "choices"), most=MAX_CHOICES))  # fmt: skip
        labels = tuple(_translated(c, _("{where}, choice {number}").format(where=where, number=i), language, 64)
                       for i, c in enumerate(given, 1))  # fmt: skip
        if not all(labels):
            raise LessonError(_(DIFFERENT_CHOICES).format(where=_field(where, "choices")))
    elif given:
        raise LessonError(_("{where}: a number question has no choices").format(where=_field(where, "choices")))
    choices = tuple(dict(label.versions).get(ENGLISH) or label.versions[0][1] for label in labels)
    if len(set(choices)) != len(choices):
        raise LessonError(_(DIFFERENT_CHOICES).format(where=_field(where, "choices")))
    answer = _plain_text(raw, "answer", where, required=True)
    if answer not in ANSWERS:
        raise LessonError(_("{where}: no computed answer {answer}; there are {answers}").format(
            where=_field(where, "answer"), answer=repr(answer), answers=", ".join(ANSWERS)))  # fmt: skip
    computed = ANSWERS[answer]
    if computed.kind != kind:
        raise LessonError(_("{where}: {answer} is a {kind} answer, the question a {asked} one").format(
            where=_field(where, "answer"), answer=answer, kind=computed.kind, asked=kind))  # fmt: skip
    if kind == "choice" and not set(computed.values) <= set(choices):
        raise LessonError(_("{where} must include every answer {answer} can give: {values}").format(
            where=_field(where, "choices"), answer=answer, values=", ".join(computed.values)))  # fmt: skip
    return Question(text, kind, choices, answer, labels)


def _known_fields(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise LessonError(_("{where}: unknown field {field}; the fields are {fields}").format(
            where=where, field=repr(unknown[0]), fields=", ".join(sorted(known))))  # fmt: skip


def _plain_text(raw: dict[str, Any], field: str, where: str, required: bool = False) -> str:
    """A field that is a name, not words for people (a page, a kind, an answer): text in no language."""
    value = raw.get(field, "")
    if not isinstance(value, str):
        raise LessonError(_("{where} must be text").format(where=_field(where, field)))
    value = value.strip()
    if required and not value:
        raise LessonError(_("{where} is missing").format(where=_field(where, field)))
    if len(value) > MAX_TEXT:
        raise LessonError(
            _("{where} is longer than {most} characters").format(where=_field(where, field), most=MAX_TEXT)
        )
    return value


def _text(raw: dict[str, Any], field: str, where: str, language: str, required: bool = False) -> Translated:
    """A field of words for people: text in the lesson's ``language``, or a table of texts by language."""
    text = _translated(raw.get(field, ""), _field(where, field), language, MAX_TEXT)
    if required and not text:
        raise LessonError(_("{where} is missing").format(where=_field(where, field)))
    return text


def _translated(value: Any, where: str, language: str, longest: int) -> Translated:
    """``value`` (text in ``language``, or a table ``{ en = "...", zh = "..." }``) as a Translated text."""
    given = {language: value} if isinstance(value, str) else value
    if not isinstance(given, dict) or not all(isinstance(text, str) for text in given.values()):
        raise LessonError(_("{where} must be text, or a table of texts by language ({languages})").format(
            where=where, languages=", ".join(LANGUAGES)))  # fmt: skip
    if unknown := sorted(set(given) - set(LANGUAGES)):
        raise LessonError(_("{where}: no language {language}; the languages are {languages}").format(
            where=where, language=repr(unknown[0]), languages=", ".join(LANGUAGES)))  # fmt: skip
    versions = sorted(((code, text.strip()) for code, text in given.items()), key=lambda v: v[0] != language)
    if any(len(text) > longest for _code, text in versions):
        raise LessonError(_("{where} is longer than {most} characters").format(where=where, most=longest))
    return Translated(tuple(versions) or ((language, ""),))
