"""The Streamlit pieces every page shares: page set-up, messages shown literally, and the model picker.

The modules of ``explorer.ui`` are the only ones that import Streamlit; pages call them, and they
call the plain functions of the rest of the package.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st
from PIL import Image, ImageDraw
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer import language, recordings
from explorer.address import BOUNDS, address_text, allowed, parse_text
from explorer.figstyle import for_projector
from explorer.language import N_, _
from explorer.spec import (
    CIFAR_DEPTHS,
    CIFAR_MAX_DEPTH,
    DEFAULT_INPUT_SIZE,
    IMAGENET_MODELS,
    INPUT_SIZE_LIMITS,
    ModelSpec,
)
from explorer.ui import navigation
from explorer.ui.delivery import deliver_finished_runs
from explorer.ui.server import device_label, settings, settle

TABLES_KEPT = 256  # small tables kept converted: a page's few, for each setting a class visits

# The sidebar's choices before anyone chose (kept under keys of our own, so they survive page switches).
_DEFAULTS: dict[str, Any] = {
    "family": "imagenet",
    "imagenet_model": "resnet50",
    "cifar_depth": 20,
    "skip": True,
    "shortcut": "default",
    "paper_stride": False,
    "preact": False,
    "imagenet_size": DEFAULT_INPUT_SIZE["imagenet"],
    "cifar_size": DEFAULT_INPUT_SIZE["cifar"],
}
# Where the keyboard's focus is, on what Streamlit draws without a focus ring (the page links, the page's main box, the
# scrolling boxes given a place in the tab order): a ring of 3:1 or more on white and on the sidebar (WCAG 2.4.7).
FOCUS_CSS = """<style>
a:focus-visible, main:focus-visible, [role="region"]:focus-visible {
  outline: 3px solid #1a5fb4 !important; outline-offset: 2px;
}
</style>"""
PROJECTOR_CSS = """<style>
.stApp, .stApp p, .stApp li, .stApp label, [data-testid="stMarkdownContainer"] { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] p { font-size: 2.6rem !important; }
.stApp [data-testid="stMetricLabel"], .stApp [data-testid="stMetricLabel"] p { font-size: 1.1rem !important; }
.stApp [data-baseweb="select"] div, .stApp input { font-size: 1.2rem !important; }
h1 { font-size: 3.2rem !important; } h2, h3 { font-size: 2.1rem !important; }
</style>"""
SETTINGS = "page.settings"  # where a run of a page lists the settings it offered
SETTINGS_COMPLETE = "page.settings.complete"  # whether that run went to the end of the page
IGNORED = "page.ignored"  # the settings this run read from the address and could not use: name -> (text, default)
LANGUAGE = "page.language"  # the session's language (a code of explorer.language.LANGUAGES), kept across pages
LANGUAGE_SWITCH = "page.language.switch"  # the sidebar switch's widget
LANGUAGE_PARAMETER = "lang"  # the address's ?lang=
VIEW = "page.view"  # how many times a lesson has opened a step in this session: see widget_key
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")
_FAMILY_LABELS = {"imagenet": N_("ImageNet (Table 1)"), "cifar": N_("CIFAR-10 (6n+2)")}
_SHORTCUT_LABELS = {  # the options of models.SHORTCUT_OPTIONS, in words
    "default": N_("family default"),
    "A": N_("A: zero-padding (no parameters)"),
    "B": N_("B: projection where the shape changes"),
    "C": N_("C: projection everywhere"),
}
_CIFAR_DEPTH_CHOICES = tuple(sorted({*range(8, 116, 6), *CIFAR_DEPTHS, CIFAR_MAX_DEPTH}))


def plain(text: object) -> str:
    """``text`` (a str, or a lesson's :class:`~explorer.language.Translated` text, said in the session's language)
    shown literally by Streamlit's Markdown: every character Markdown, LaTeX or Streamlit's ``:directive[...]``
    syntax would act on is escaped (file names and other user input go through this)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def show_error(error: Exception) -> None:
    """A one-line error message, shown literally."""
    st.error(plain(str(error)))


def table(rows: list[dict[str, object]]) -> None:
    """A small static table that wraps its text and grows with projector mode; every cell shown literally, the
    column names in the session's language (:func:`said_columns`)."""
    st.table(_arrow_table(tuple(tuple((k, str(v)) for k, v in row.items()) for row in said_columns(rows))),
             hide_index=True)  # fmt: skip


def said_columns(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """``rows`` with their column names (English, marked with ``N_`` where the rows are made) in the session's
    language: what every table and data frame a page shows goes through (exports keep the English names)."""
    return [{_(str(k)): v for k, v in row.items()} for row in rows]


@functools.lru_cache(maxsize=TABLES_KEPT)
def _arrow_table(rows: tuple[tuple[tuple[str, str], ...], ...]) -> pa.Table:
    """``rows`` (each row its ``(column, cell)`` texts) as an Arrow table of literal texts, made once for every
    session that shows the same table: Streamlit converted a list of rows through pandas on every run, a tenth of a
    following student's run of the Architecture page (py-spy, 60 students)."""
    cells = [{plain(column): plain(cell) for column, cell in row} for row in rows]
    columns = dict.fromkeys(column for row in cells for column in row)  # in order of first appearance, as pandas
    return pa.table({column: pa.array([row.get(column) for row in cells], pa.string()) for column in columns})


def say_ignored() -> None:
    """One line naming each setting of the address this run could not use (a typo in a link or a lesson would
    otherwise go unseen), and the value shown instead."""
    ignored = st.session_state.pop(IGNORED, {})
    if ignored:
        words = "; ".join(_("{name}={text} (shown: {shown})").format(name=name, text=repr(text),
                                                                      shown=address_text(default) or _("none"))
                          for name, (text, default) in ignored.items())  # fmt: skip
        st.warning(_("Ignored in the address, as this page cannot show it: {settings}.").format(settings=plain(words)),
                   icon=":material/link_off:")  # fmt: skip


def page_settings() -> dict[str, dict[str, Any]]:
    """The settings this run of the page offered, by name: each one's default and the values its widget allows
    (``options``, or ``min_value``/``max_value``/``step``), as :func:`choice` drew them."""
    return dict(st.session_state.get(SETTINGS, {}))


def setup_page(title: str) -> None:
    """Page config, the session's language, the links to every page, the title, the device the models run on, and
    a warning when results cannot be kept on disk. ``title`` is the page's title in English (its file's name)."""
    asked = choose_language()
    heading = navigation.heading(title)
    st.set_page_config(
        page_title=_("{page} · ResNet Explorer").format(page=heading), page_icon=page_icon(), layout="wide"
    )
    _settled()
    navigation.sidebar_links()
    language_switch()
    with st.sidebar:
        help_text = _("Larger type, thicker lines, fewer controls.")
        choice(st.toggle, _("Projector mode"), "projector", False, help=help_text)
    if projector():
        st.html(PROJECTOR_CSS)
    st.title(f"{navigation.ICONS[title]} {heading}")
    if asked is not None:
        st.info(
            _("The address asks for a language the explorer does not have ({asked}): the page is in English.").format(
                asked=plain(asked)
            ),
            icon=":material/translate:",
        )
    replica = settings().replica
    device = _("Device: {device}").format(device=device_label())
    st.sidebar.caption(_("{device} · replica {replica}").format(device=device, replica=replica) if replica else device)
    if (reason := recordings.unwritable()) is not None:
        st.warning(
            _(
                "The recordings folder {folder} cannot be written ({reason}): trained nets and demos are computed "
                "again in every session instead of once. Set EXPLORER_RECORDINGS to a writable folder."
            ).format(folder=plain(str(recordings.folder())), reason=plain(reason)),
            icon=":material/folder_off:",
        )
    if replica:
        _say_if_moved(replica)
        _heartbeat()


def _session_language() -> str | None:
    """The language this session chose, for :mod:`explorer.language`; None outside a page's run."""
    return st.session_state.get(LANGUAGE) if get_script_run_ctx() is not None else None


language.follow_session(_session_language)


def choose_language() -> str | None:
    """Settle the session's language (:func:`explorer.language.chosen`: the address's ``?lang=``, else the one the
    session kept, else the browser's), keep it in the address when it is not English (so a bookmark or a link
    carries it), and tell the browser (``<html lang>``: a screen reader reads with that language's voice). Returns
    what the address asked for when the explorer has no such language (English is shown), else None."""
    asked = st.query_params.get(LANGUAGE_PARAMETER)
    code, unknown = language.chosen(asked, st.session_state.get(LANGUAGE), st.context.locale)
    st.session_state[LANGUAGE] = code
    if unknown or code != language.ENGLISH:
        st.query_params[LANGUAGE_PARAMETER] = code
    with st.sidebar:
        st.html(
            f"<script>document.documentElement.lang = {json.dumps(language.HTML_LANG[code])};</script>"
            + widget_names()
            + FOCUS_CSS
            + ("" if code == language.ENGLISH else streamlit_words()),
            unsafe_allow_javascript=True,
        )
    return asked if unknown else None


def widget_names() -> str:
    """A script that names, in the session's language, what Streamlit leaves unnamed or names in English: the box
    that scrolls a table wider than the screen (a phone) and the sidebar's own scrolling box (taller than the
    screen in projector mode) are not focusable (WCAG 2.1.1), so each gets a place in the tab order and a name; the
    file uploader's button gets the name its words say (:func:`streamlit_words`). Names what is there when the
    script runs (Streamlit may have drawn the whole sidebar already) and, through one observer per browser tab,
    what is drawn later; each run updates the names it gives."""
    names = {
        ".stTable > div": _("Table: scroll sideways with the arrow keys"),
        '[data-testid="stSidebarContent"]': _("Sidebar: pages, language and settings"),
        '[data-testid="stFileUploaderDropzone"] button': _("Upload"),
    }
    return (
        f"<script>window.explorerNames = {json.dumps(names, ensure_ascii=False)};"
        "window.explorerName = window.explorerName || (() => {"
        "  for (const [selector, name] of Object.entries(window.explorerNames)) {"
        "    document.querySelectorAll(selector).forEach((element) => {"
        "      if (element.getAttribute('aria-label') === name) return;"
        "      if (element.tagName === 'DIV') { element.tabIndex = 0; element.setAttribute('role', 'region'); }"
        "      element.setAttribute('aria-label', name);"
        "    });"
        "  }"
        "});"
        "window.explorerName();"
        "if (!window.explorerNaming) {"
        "  window.explorerNaming = new MutationObserver(window.explorerName);"
        "  window.explorerNaming.observe(document.body, {childList: true, subtree: true});"
        "}</script>"
    )


def streamlit_words() -> str:
    """A style sheet that says, in the session's language, the words Streamlit writes into its own widgets, which
    its API cannot set (Streamlit issue 13500): the file uploader's button (its English size and type hint is
    hidden: every uploader's label already says both) and the camera's button. Generated content, so a screen
    reader reads these words too."""
    upload, photo = (json.dumps(text, ensure_ascii=False) for text in (_("Upload"), _("Take Photo")))
    button = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
    return (
        "<style>"
        f"{button} p {{ display: none; }}"
        f"{button}::after {{ content: {upload}; }}"
        '[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }'
        '[data-testid="stCameraInputButton"] { font-size: 0; }'
        f'[data-testid="stCameraInputButton"]::after {{ content: {photo}; font-size: 1rem; }}'
        "</style>"
    )


def language_switch() -> None:
    """The sidebar's switch between the explorer's languages (each named in itself)."""

    def switched() -> None:
        st.session_state[LANGUAGE] = st.session_state[LANGUAGE_SWITCH]
        st.query_params[LANGUAGE_PARAMETER] = st.session_state[LANGUAGE_SWITCH]

    st.session_state[LANGUAGE_SWITCH] = st.session_state[LANGUAGE]
    st.sidebar.radio(
        _("Language"),
        options=list(language.LANGUAGES),
        format_func=language.LANGUAGES.get,
        key=LANGUAGE_SWITCH,
        on_change=switched,
        horizontal=True,
    )


def projector() -> bool:
    """Whether the page is in projector mode (a choice kept across pages and in the address)."""
    return bool(st.session_state.get("choice.projector", False))


def chart(figure: go.Figure, png_name: str | None = None, **options: Any) -> Any:
    """Show a plotly figure, restyled for the projector in projector mode; with ``png_name``, its toolbar
    offers one button, downloading the figure as ``png_name``.png (drawn by the browser, nothing fetched)."""
    config: dict[str, Any] = {"displayModeBar": False}
    if png_name is not None:
        keep = {"toImage"}
        config = {
            "displayModeBar": True, "displaylogo": False,
            "modeBarButtonsToRemove": [b for b in _MODEBAR_BUTTONS if b not in keep],
            "toImageButtonOptions": {"format": "png", "filename": png_name, "scale": 2},
        }  # fmt: skip
    return st.plotly_chart(for_projector(figure) if projector() else figure, config=config, **options)


_MODEBAR_BUTTONS = (
    "zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "resetScale2d",
    "hoverClosestCartesian", "hoverCompareCartesian", "toggleSpikelines", "zoom3d", "pan3d", "orbitRotation",
    "tableRotation", "resetCameraDefault3d", "resetCameraLastSave3d", "hoverClosest3d", "hoverClosestGl2d",
    "toImage",
)  # fmt: skip


@st.cache_resource
def page_icon() -> Image.Image:
    """The tab's icon, drawn here (a box and the arc of its shortcut), so no icon is fetched from the internet."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((10, 30, 54, 54), radius=6, fill=(33, 113, 181, 255))
    draw.arc((8, 6, 56, 54), start=180, end=360, fill=(203, 24, 29, 255), width=6)
    return icon


@dataclass(frozen=True)
class DrawnOn:
    """The page run that drew a timed fragment: its page script (Streamlit's hash of it, its path from the app's
    folder) and the page's address then."""

    script_hash: str
    script: str
    address: tuple[tuple[str, str], ...]


def timed_fragment(every_s: float) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The one way to declare a fragment that reruns every ``every_s`` seconds (``st.fragment(run_every=…)``) so
    that it stays on its page: each call hands the fragment the page run that drew it (:func:`drawn_on`), and each
    of its runs starts with :func:`stay_on_page`. The fragment keeps the decorated function's name, so its id is
    the one Streamlit gives that function."""

    def declare(body: Callable[..., None]) -> Callable[..., None]:
        @st.fragment(run_every=every_s)
        @functools.wraps(body)
        def fragment(drawn: DrawnOn | None, *args: Any) -> None:
            stay_on_page(drawn)
            body(*args)

        @functools.wraps(body)
        def draw(*args: Any) -> None:
            fragment(drawn_on(), *args)

        return draw

    return declare


@timed_fragment(30)
def _heartbeat() -> None:
    """Nothing, every 30 s: a page with a timed fragment reruns as soon as its websocket reconnects, so a
    browser whose replica stopped shows the fresh session (and :func:`_say_if_moved`) without a click."""


def drawn_on() -> DrawnOn | None:
    """This run's page and address, for a timed fragment it draws to give to :func:`stay_on_page` (None outside a
    page run)."""
    ctx = get_script_run_ctx()
    page = ctx.pages_manager.get_pages().get(ctx.page_script_hash) if ctx is not None else None
    if ctx is None or page is None:
        return None
    script = os.path.relpath(page["script_path"], os.path.dirname(ctx.main_script_path))
    return DrawnOn(ctx.page_script_hash, script, tuple(st.query_params.to_dict().items()))


def stay_on_page(drawn: DrawnOn | None) -> None:
    """The first thing every timed fragment does: when this fragment run is not on the page that drew it, open that
    page again on its address.

    Streamlit gives a fragment the same id on every page where it sits at the same place (the lesson bar's do), and
    runs a timed fragment on the page its browser names in the request: a tick the browser sent just before the
    server switched its page (a student's bar opening the teacher's step; a teacher's click on Next) runs after the
    new page's run *on the old page*, and tells the browser it is on the old page again with the old address.
    Measured with a protocol client: the new page drawn, then the old page announced by the fragment's run.
    """
    ctx = get_script_run_ctx()
    if drawn is not None and ctx is not None and ctx.page_script_hash != drawn.script_hash:
        st.switch_page(drawn.script, query_params=dict(drawn.address))


def _say_if_moved(replica: str) -> None:
    """When a browser comes back to another replica (its own stopped), say so on the fresh page.

    The replica a page is served by stands in its address (``?replica=``); a new session whose
    address names another replica was moved here by the balancer.
    """
    if "replica.moved" not in st.session_state:
        earlier = st.query_params.get("replica")
        st.session_state["replica.moved"] = bool(earlier) and earlier != replica
    if st.session_state["replica.moved"]:
        st.info(
            _(
                "The server this page was on stopped, so it continues on another one (replica {replica}) in a fresh "
                "session: upload your image or checkpoint again, earlier results are gone."
            ).format(replica=replica),
            icon=":material/sync_problem:",
        )
    st.query_params["replica"] = replica


@st.cache_resource
def _settled() -> bool:
    """Once per server, after the first page's imports: :func:`explorer.ui.server.settle`, and every finished run
    delivered to its browser (:func:`explorer.ui.delivery.deliver_finished_runs`)."""
    settle()
    deliver_finished_runs()
    return True


def from_address(name: str, default: Any, **kwargs: Any) -> Any:
    """The value of the page address's ``?name=``, if the widget built with ``kwargs`` can show it; else ``default``.

    A list (a multiselect) stands in the address comma-separated; a value's type is its default's, or its options'.
    """
    text = st.query_params.get(name)
    if text is None:
        return default
    try:
        return parse_text(text, default, kwargs)
    except ValueError:
        st.session_state.setdefault(IGNORED, {})[name] = (text, default)  # said by the page frame, in one line
        return default


def settings_now() -> dict[str, str] | None:
    """The settings the page's last whole run offered that are not at their default, as address texts: what a
    bookmark of the page holds, read from the session (a browser's late request cannot change it, as it can the
    address); None while the page's run has not gone to its end (during that run, or after one that stopped)."""
    if not st.session_state.get(SETTINGS_COMPLETE, False):
        return None
    now = {}
    for name, offered in st.session_state.get(SETTINGS, {}).items():
        value = st.session_state.get(f"choice.{name}", offered["default"])
        if value != offered["default"]:
            now[name] = address_text(value)
    return now


def to_address(name: str, value: Any, default: Any) -> None:
    """Write a choice into the page address (only when it differs from its default, to keep it short)."""
    if value == default:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = address_text(value)


def remembered(name: str, default: Any, **kwargs: Any) -> Any:
    """The value of the persistent choice ``name``: what was chosen in this session (on any page), else what the
    address says, else ``default``; a value the widget built with ``kwargs`` cannot show falls back to ``default``."""
    store = f"choice.{name}"
    if store not in st.session_state:
        st.session_state[store] = from_address(name, default, **kwargs)
    elif not allowed(st.session_state[store], kwargs):
        st.session_state[store] = default
    return st.session_state[store]


def widget_key(name: str) -> str:
    """The key of the widget of the choice ``name``: new each time a lesson opens a step (:data:`VIEW`). A browser
    that lags behind sends its widgets' old values with its next request; under the old keys they are dropped
    instead of overriding the step's settings (30 students on 2 cores: a third of the class broke away at once)."""
    view = st.session_state.get(VIEW, 0)
    return f"widget.{name}" if view == 0 else f"widget.{view}.{name}"


def choice(widget: Callable[..., Any], label: str, name: str, default: Any, **kwargs: Any) -> Any:
    """Render ``widget`` bound to the persistent choice ``name``: kept across pages and reruns, and in the page
    address as ``?name=``, so a prepared page can be bookmarked and a reload keeps it. The one way a page's setting
    reaches the address.

    ``default`` is the choice's value before anyone chose (pass it here, not as the widget's own value). An
    ``on_change`` callback runs after the choice is kept.
    """
    store, key = f"choice.{name}", widget_key(name)
    bounds = {k: list(v) if k == "options" else v for k, v in kwargs.items() if k in BOUNDS}
    st.session_state.setdefault(SETTINGS, {})[name] = {"default": default, **bounds}
    st.session_state[key] = remembered(name, default, **kwargs)
    then = kwargs.pop("on_change", None)

    def save() -> None:
        if key != widget_key(name):  # a widget of a view a lesson has left (Streamlit still calls it): not a choice
            return
        st.session_state[store] = st.session_state[key]
        if then is not None:
            then()

    value = widget(label, key=key, on_change=save, **kwargs)
    to_address(name, value, default)
    return value


def model_sidebar() -> tuple[ModelSpec, int]:
    """The shared sidebar: pick a model and its options; returns the spec and the input size."""
    with st.sidebar:
        st.header(_("Model"))
        family = choice(
            st.radio,
            _("Family"),
            "family",
            _DEFAULTS["family"],
            options=list(_FAMILY_LABELS),
            format_func=lambda family: _(_FAMILY_LABELS[family]),
            horizontal=True,
        )
        if family == "imagenet":
            name = choice(
                st.selectbox, _("Variant"), "imagenet_model", _DEFAULTS["imagenet_model"], options=list(IMAGENET_MODELS)
            )
        else:
            depth = choice(
                st.select_slider,
                _("Depth (6n+2)"),
                "cifar_depth",
                _DEFAULTS["cifar_depth"],
                options=list(_CIFAR_DEPTH_CHOICES),
                help=_("The paper's CIFAR-10 nets: 20, 32, 44, 56, 110 (and 1202)."),
            )
            name = f"cifar_resnet{depth}"
        skip = choice(
            st.toggle,
            _("Skip connections (residual)"),
            "skip",
            _DEFAULTS["skip"],
            help=_("Off builds the plain counterpart: the same layers with every shortcut removed."),
        )
        with st.expander(_("Options"), key="sidebar.options"):
            shortcut = choice(
                st.radio,
                _("Shortcut option"),
                "shortcut",
                _DEFAULTS["shortcut"],
                options=list(_SHORTCUT_LABELS),
                format_func=lambda option: _(_SHORTCUT_LABELS[option]),
                disabled=not skip,
                help=_("He et al. 2015, §3.3. Default: B for ImageNet (as torchvision), A for CIFAR."),
            )
            paper_stride = choice(
                st.toggle,
                _("Paper stride placement (v1)"),
                "paper_stride",
                _DEFAULTS["paper_stride"],
                help=_(
                    "Bottlenecks only: stride 2 on the first 1×1 conv as in the paper, instead of on the 3×3 conv "
                    "as torchvision (v1.5)."
                ),
                disabled=name not in IMAGENET_MODELS or name in ("resnet18", "resnet34"),
            )
            preact = choice(st.toggle, _("Pre-activation blocks (He et al. 2016)"), "preact", _DEFAULTS["preact"])
            low, high = INPUT_SIZE_LIMITS[family]
            size = choice(
                st.number_input,
                _("Input size (pixels)"),
                f"{family}_size",
                _DEFAULTS[f"{family}_size"],
                min_value=low,
                max_value=high,
                step=16,
            )
        spec = ModelSpec(
            name,
            skip=skip,
            shortcut=None if shortcut == "default" else shortcut,
            stride_in_1x1=paper_stride,
            preact=preact,
        )
        st.caption(_("**{model}** · input {size}×{size}").format(model=spec.label, size=size))
    return spec, int(size)
