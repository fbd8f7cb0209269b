"""The language a person reads the explorer in: English or Simplified Chinese (简体中文).

Every text a person reads is written in English in the code and translated with gettext: :func:`_` for a
sentence (a template with named placeholders, filled with ``str.format`` after translation), :func:`ngettext`
where a number decides the word, :func:`N_` to mark a text that is kept for later (an option's label, a column's
name) and translated with :func:`_` where it is shown, :func:`lazy` for a sentence a shared result keeps (a
:class:`Message`: its template and values, made a text in the reader's language where it is shown). The Chinese
catalog is
``explorer/locale/zh_CN/LC_MESSAGES/explorer.po``, kept with Babel (``bash scripts/translations.sh`` extracts the
marked texts and updates it); it is compiled in memory the first time it is needed, so the set-up compiles
nothing and no compiled file can fall behind its catalog.

Which language is current: inside a :func:`speaking` block, that block's (the command line, a test, a job's
thread); else what the app's session chose (the app registers how to ask with :func:`follow_session`); else
English. The models, caches and results the explorer shares between sessions hold no text of a language.

Numbers: Chinese groups digits and writes percentages as English does (``11,689,512``, ``25.0%``; Babel's locale
data, checked by a test), so the pages' own formats (``f"{n:,}"``, ``f"{p:.1%}"``) serve both languages.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from babel.messages import mofile, pofile

ENGLISH, CHINESE = "en", "zh"
LANGUAGES = {ENGLISH: "English", CHINESE: "中文"}  # each language's name in itself: what the switch shows
LOCALES = {ENGLISH: "en", CHINESE: "zh_CN"}  # the catalogs' folder
HTML_LANG = {ENGLISH: "en", CHINESE: "zh-CN"}  # the page's <html lang>: a screen reader's voice
SEPARATORS = {ENGLISH: ", ", CHINESE: "，"}  # between the items of a list
CATALOGS = Path(__file__).resolve().parent / "locale"
DOMAIN = "explorer"
UNNAMED_CLASS = re.compile(r"class (\d+)")  # a class of a model that names none (explorer.weights.imagenet)
CLASS_DOMAIN = "imagenet"  # ImageNet's 1,000 class names (torchvision's English): a catalog of data, not of the code

T = TypeVar("T")
_speaking: ContextVar[str | None] = ContextVar("explorer_language", default=None)
_session_language: Callable[[], str | None] | None = None


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now; :func:`_` translates it where it is shown."""
    return message


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` things in the current language (``{count}`` is not filled in)."""
    return _translations(current()).ngettext(singular, plural, count)


def class_name(name: str) -> str:
    """A class a model tells apart, named in the current language: ImageNet's 1,000 (by torchvision's English names)
    and any name that is one of the explorer's own texts (the Shapes dataset's six, ``class 3`` of a model whose
    classes have no names) are translated; any other name (a digit, the folder of a class of one's own) is shown as
    it is."""
    if unnamed := UNNAMED_CLASS.fullmatch(name):
        return _("class {index}").format(index=unnamed[1])
    said = _translations(current(), CLASS_DOMAIN).gettext(name)
    return said if said != name else _(name)


@dataclass(frozen=True)
class Message:
    """A sentence kept to be said later, in whatever language is current then: an English template with named
    placeholders and their values (numbers, texts, other messages, or tuples of them: a list). ``str()`` makes it
    a text. Results shared by
    sessions of several languages keep these, never a text in one language."""

    template: str
    values: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return _(self.template).format(**{name: _said(value) for name, value in self.values})


def lazy(template: str, **values: Any) -> Message:
    """``template`` (an English text with ``{named}`` placeholders) and ``values``, to be said later
    (:class:`Message`). Babel's extraction finds the templates by this function's name."""
    return Message(template, tuple(values.items()))


def _said(value: Any) -> Any:
    """A value as a message says it: a message in the reader's language, a tuple as a list of them (``a, b``)."""
    if isinstance(value, tuple):
        return separated(_said(part) for part in value)
    return str(value) if isinstance(value, Message) else value


@dataclass(frozen=True)
class Translated:
    """A text its author gave in one or more languages (a lesson's): ``str()`` says it in the current language
    when the author gave it, else in English, else in the author's first language."""

    versions: tuple[tuple[str, str], ...]  # (language, text), the author's first language first

    def __str__(self) -> str:
        given = dict(self.versions)
        return given.get(current()) or given.get(ENGLISH) or self.versions[0][1]

    def __bool__(self) -> bool:
        return any(text for _code, text in self.versions)

    def languages(self) -> tuple[str, ...]:
        """The languages the author gave this text in."""
        return tuple(code for code, text in self.versions if text)


def separated(parts: Iterable[object]) -> str:
    """``parts`` as one text, separated as the current language separates the items of a list (``a, b`` / ``a，b``)."""
    return SEPARATORS[current()].join(str(part) for part in parts)


def current() -> str:
    """The current language's code (:data:`ENGLISH` or :data:`CHINESE`; see the module's docstring)."""
    if (code := _speaking.get()) is not None:
        return code
    if _session_language is not None and (code := _session_language()) in LANGUAGES:
        return code
    return ENGLISH


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Within the block, :func:`current` is ``code`` (one of :data:`LANGUAGES`) in this thread and its context."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}: one of {', '.join(LANGUAGES)}")
    token = _speaking.set(code)
    try:
        yield
    finally:
        _speaking.reset(token)


def in_current_language(job: Callable[[], T]) -> Callable[[], T]:
    """``job``, to run in another thread (a queue's worker), speaking the language current here: what it says (a
    refusal of a bad upload, say) reaches the reader in their language."""
    code = current()

    def spoken() -> T:
        with speaking(code):
            return job()

    return spoken


def follow_session(session_language: Callable[[], str | None]) -> None:
    """Ask ``session_language`` for the current language outside :func:`speaking` blocks (the app's session;
    None where there is none)."""
    global _session_language
    _session_language = session_language


def language_of(tag: str | None) -> str | None:
    """The explorer's language for a language tag (``zh``, ``zh-CN``, ``zh_Hans``, ``en-GB`` …), None if it has
    none. Every Chinese tag gets Simplified Chinese, the only Chinese the explorer has."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def chosen(asked: str | None, kept: str | None, browser: str | None) -> tuple[str, bool]:
    """The session's language and whether ``asked`` (the address's ``?lang=``) was not understood: what the
    address asks for; else what the session kept; else the browser's language (``browser``, a tag); else English."""
    if asked is not None:
        code = language_of(asked)
        return (code, False) if code is not None else (ENGLISH, True)
    if kept in LANGUAGES:
        return kept, False
    return language_of(browser) or ENGLISH, False


@cache
def _translations(code: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The language's catalog of ``domain``, compiled from its ``.po`` file in memory (English: the texts as
    written)."""
    if code == ENGLISH:
        return gettext.NullTranslations()
    with (CATALOGS / LOCALES[code] / "LC_MESSAGES" / f"{domain}.po").open("rb") as po:
        catalog = pofile.read_po(po, locale=LOCALES[code], domain=domain)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
