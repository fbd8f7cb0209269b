"""Every page run under a pseudo-language whose catalog marks each text it translates (``⟦Depth⟧``): a visible
text with a word outside the marks did not come through the catalogs, beyond a short list of names, units and
formulas (:data:`ALLOWED`). This is what keeps new English out of the pages (issue 25)."""

import gettext
import json
import re
from collections.abc import Iterator

import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message as Proto
from streamlit.testing.v1 import AppTest

from explorer import language
from explorer.lessons.lesson import shipped_lessons
from explorer.ui.common import plain
from tests.conftest import PAGES, ROOT

pytestmark = pytest.mark.usefixtures("recordings_folder", "torch_home")  # never the real recordings or weights
PSEUDO = "qps"  # a private-use language tag
# Words that may stand outside the marks: names of nets, layers and methods as the papers write them, units, file
# formats, devices, and each language's own name (the switch names each language in itself).
ALLOWED = re.compile(
    r"ResNet|ResNeXt|Wide|plain|CIFAR|ImageNet|Grad-CAM|conv|layer|pool|fc|BN|ReLU|relu|tanh|sigmoid|He|Xavier|"
    r"PyTorch|torchvision|SGD|Adam|resnet|resnext|wide|MACs|ms|MB|KB|px|CPU|CUDA|MPS|GPU|JPEG|PNG|WebP|BMP|GIF|TIFF|"
    r"English|pseudo|log"  # and formulas (log10 ‖∂L/∂a‖)
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+(?:-[A-Za-z]+)*")
MARKED = re.compile(r"⟦[^⟦⟧]*⟧")
NOT_PROSE = re.compile(
    r"<(?P<tag>script|style)>.*?</(?P=tag)>"  # the page's language and Streamlit's own words, told to the browser
    r"|<[^>]+>|:material/[a-z_]+:|%\{[^}]*\}"  # HTML tags, icons, plotly's hover placeholders
    r"|⟦(?P<name>[^⟦⟧]+)⟧ · (?P=name) \(\d+\)"  # the class picker: English beside, to search by either
    r"|[A-Z0-9]{4}-[A-Z0-9]{4}"  # a class's code
    r"|^[A-Z_]+$",  # a setting of Streamlit's own (a label's visibility)
    re.DOTALL,
)
TEXT_FIELDS = {"body", "label", "help", "placeholder", "text", "options", "caption", "title", "value", "delta"}
FIGURE_FIELDS = {"text", "name", "hovertemplate", "hovertext", "ticktext", "texttemplate", "title"}


class Marking(gettext.NullTranslations):
    """The pseudo-language's catalog: every text it is asked for, marked."""

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pseudo-language, offered beside the explorer's own while the test runs."""
    real = language._translations
    monkeypatch.setattr(
        language,
        "_translations",
        lambda code, domain=language.DOMAIN: Marking() if code == PSEUDO else real(code, domain),
    )
    for table, value in ((language.LANGUAGES, "pseudo"), (language.HTML_LANG, "x-pseudo"), (language.SEPARATORS, ", ")):
        monkeypatch.setitem(table, PSEUDO, value)
    with language.speaking(PSEUDO):  # AppTest formats widget options in the test's thread
        yield


def _strings(node: object, key: str | None = None, fields: set[str] = TEXT_FIELDS) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "spec" and isinstance(value, str):  # a plotly figure, as JSON
                yield from _strings(json.loads(value), None, FIGURE_FIELDS)
            else:
                yield from _strings(value, name, fields)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key, fields)
    elif isinstance(node, str) and key in fields:
        yield node


def visible_texts(app: AppTest) -> set[str]:
    """Every text the page shows: Markdown, labels, options, help, placeholders, metrics, figures' texts."""
    found: set[str] = set()

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Proto):
            found.update(_strings(MessageToDict(proto)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    for frame in app.dataframe:
        found.update(str(column) for column in frame.value.columns)
    return found


def lesson_texts() -> list[str]:
    """The shipped lessons' own texts (each speaks for itself, in its author's languages), longest first."""
    texts = {str(text) for lesson in shipped_lessons().values() for _where, text in lesson.texts() if str(text)}
    return sorted(texts | {plain(text) for text in texts}, key=len, reverse=True)  # as written, and as shown


def unmarked_words(text: str, lessons: list[str] = ()) -> list[str]:
    """The words of ``text`` that stand outside every mark and are not :data:`ALLOWED`."""
    for own in lessons:
        text = text.replace(own, " ")
    text = NOT_PROSE.sub(" ", text)
    while (bare := MARKED.sub(" ", text)) != text:  # marks within marks: the innermost first
        text = bare
    return [word for word in WORD.findall(text) if not ALLOWED.fullmatch(word)]


def untranslated(app: AppTest, lessons: list[str] = ()) -> dict[str, list[str]]:
    """Each visible text of ``app`` with a word that did not come through the catalogs, and those words."""
    return {text[:120]: words for text in sorted(visible_texts(app)) if (words := unmarked_words(text, lessons))}


def test_the_check_finds_a_word_outside_the_marks_and_nothing_else() -> None:
    assert unmarked_words("⟦Explaining **⟦golden retriever⟧** (207) in {image}⟧") == []
    assert unmarked_words("**ResNet-50** ⟦input⟧ 224×224 · conv5_x · 3.2 ms") == []
    assert unmarked_words("⟦Depth⟧: 56 blocks") == ["blocks"]
    assert unmarked_words("Vanishing gradients", ["Vanishing gradients"]) == []


@pytest.mark.parametrize("page", ["Home.py", *PAGES])
def test_every_text_on_the_page_comes_through_the_catalogs(page: str, pseudo: None) -> None:
    app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    app.query_params["lang"] = PSEUDO
    app.run()
    if page != "Home.py":
        app.switch_page(page).run()
    assert not app.exception, app.exception
    assert app.title and app.title[0].value.endswith("⟧")  # the page is drawn in the pseudo-language
    assert untranslated(app, lesson_texts()) == {}


def test_a_teachers_class_page_and_lesson_bar_come_through_the_catalogs(pseudo: None) -> None:
    app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    app.query_params["lang"] = PSEUDO
    app.run()
    app.switch_page("pages/10_Class.py").run()
    app.selectbox(key="class.lesson").set_value("2_table1_and_the_shortcut")
    app.button(key="class.start").click().run()
    assert not app.exception, app.exception
    assert any("⟦" in m.value for m in app.markdown)
    assert untranslated(app, lesson_texts()) == {}
