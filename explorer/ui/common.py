"""The Streamlit pieces every page shares: page set-up, messages shown literally, and the model picker.

The modules of ``explorer.ui`` are the only ones that import Streamlit; pages call them, and they
call the plain functions of the rest of the package.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from PIL import Image, ImageDraw

from explorer.figstyle import for_projector
from explorer.spec import (
    CIFAR_DEPTHS,
    CIFAR_MAX_DEPTH,
    DEFAULT_INPUT_SIZE,
    IMAGENET_MODELS,
    INPUT_SIZE_LIMITS,
    ModelSpec,
)
from explorer.ui.server import device_label, settings, settle
from models import SHORTCUT_OPTIONS

# Choices live under keys of our own so they survive page switches (widget keys are per page).
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
    "projector": False,
}
PROJECTOR_CSS = """<style>
.stApp, .stApp p, .stApp li, .stApp label, [data-testid="stMarkdownContainer"] { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] p { font-size: 2.6rem !important; }
.stApp [data-testid="stMetricLabel"], .stApp [data-testid="stMetricLabel"] p { font-size: 1.1rem !important; }
.stApp [data-baseweb="select"] div, .stApp input { font-size: 1.2rem !important; }
h1 { font-size: 3.2rem !important; } h2, h3 { font-size: 2.1rem !important; }
</style>"""
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")
_FAMILY_LABELS = {"imagenet": "ImageNet (Table 1)", "cifar": "CIFAR-10 (6n+2)"}
_SHORTCUT_LABELS = {
    "default": "family default",
    **{option: f"{option}: {words}" for option, words in SHORTCUT_OPTIONS.items()},
}
_CIFAR_DEPTH_CHOICES = tuple(sorted({*range(8, 116, 6), *CIFAR_DEPTHS, CIFAR_MAX_DEPTH}))


def plain(text: str) -> str:
    """``text`` shown literally by Streamlit's Markdown: every character Markdown, LaTeX or Streamlit's
    ``:directive[...]`` syntax would act on is escaped (file names and other user input go through this)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_error(error: Exception) -> None:
    """A one-line error message, shown literally."""
    st.error(plain(str(error)))


def table(rows: list[dict[str, object]]) -> None:
    """A small static table that wraps its text and grows with projector mode; every cell shown literally."""
    st.table([{plain(str(k)): plain(str(v)) for k, v in row.items()} for row in rows], hide_index=True)


def setup_page(title: str, icon: str) -> None:
    """Page config, title and the device the models run on; call first on every page.

    ``icon`` is a ``:material/name:`` code.
    """
    st.set_page_config(page_title=f"{title} · ResNet Explorer", page_icon=page_icon(), layout="wide")
    _settled()
    with st.sidebar:
        choice(st.toggle, "Projector mode", "projector", help="Larger type, thicker lines, fewer controls.")
    if projector():
        st.html(PROJECTOR_CSS)
    st.title(f"{icon} {title}")
    replica = settings().replica
    st.sidebar.caption(f"Device: {device_label()}" + (f" · replica {replica}" if replica else ""))
    if replica:
        _say_if_moved(replica)
        _heartbeat()


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


@st.fragment(run_every=30)
def _heartbeat() -> None:
    """Nothing, every 30 s: a page with a timed fragment reruns as soon as its websocket reconnects, so a
    browser whose replica stopped shows the fresh session (and :func:`_say_if_moved`) without a click."""


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
            f"The server this page was on stopped, so it continues on another one (replica {replica}) in a fresh "
            "session: upload your image or checkpoint again, earlier results are gone.",
            icon=":material/sync_problem:",
        )
    st.query_params["replica"] = replica


@st.cache_resource
def _settled() -> bool:
    """Once per server, after the first page's imports: :func:`explorer.ui.server.settle`."""
    settle()
    return True


def from_address(name: str, default: Any, allowed: Collection[Any] | None = None) -> Any:
    """The value of the page address's ``?name=`` for a choice of ``default``'s type, if valid, else ``default``.

    Settings live in the address, so a prepared page can be bookmarked and a reload keeps it.
    """
    text = st.query_params.get(name)
    if text is None:
        return default
    try:
        value: Any = text == "1" if isinstance(default, bool) else type(default)(text) if default is not None else text
    except ValueError:
        return default
    return value if allowed is None or value in allowed else default


def to_address(name: str, value: Any, default: Any) -> None:
    """Write a choice into the page address (only when it differs from its default, to keep it short)."""
    if value == default or value is None:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)


def choice(widget: Callable[..., Any], label: str, name: str, default: Any = None, **kwargs: Any) -> Any:
    """Render ``widget`` bound to the persistent choice ``name`` (kept across pages and in the page address).

    ``default`` is the choice's value before anyone chose (the sidebar's own choices have theirs in
    ``_DEFAULTS``). A value from the address is used only if the widget's options (or bounds) allow it.
    """
    store, key = f"choice.{name}", f"widget.{name}"
    default = _DEFAULTS[name] if default is None and name in _DEFAULTS else default
    if store not in st.session_state:
        allowed = kwargs.get("options")
        value = from_address(name, default, list(allowed) if allowed is not None else None)
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and low is not None
            and not low <= value <= high
        ):
            value = default
        st.session_state[store] = value
    st.session_state[key] = st.session_state[store]

    def save() -> None:
        st.session_state[store] = st.session_state[key]

    value = widget(label, key=key, on_change=save, **kwargs)
    to_address(name, value, default)
    return value


def model_sidebar() -> tuple[ModelSpec, int]:
    """The shared sidebar: pick a model and its options; returns the spec and the input size."""
    with st.sidebar:
        st.header("Model")
        family = choice(
            st.radio,
            "Family",
            "family",
            options=list(_FAMILY_LABELS),
            format_func=_FAMILY_LABELS.get,
            horizontal=True,
        )
        if family == "imagenet":
            name = choice(st.selectbox, "Variant", "imagenet_model", options=list(IMAGENET_MODELS))
        else:
            depth = choice(
                st.select_slider,
                "Depth (6n+2)",
                "cifar_depth",
                options=list(_CIFAR_DEPTH_CHOICES),
                help="The paper's CIFAR-10 nets: 20, 32, 44, 56, 110 (and 1202).",
            )
            name = f"cifar_resnet{depth}"
        skip = choice(
            st.toggle,
            "Skip connections (residual)",
            "skip",
            help="Off builds the plain counterpart: the same layers with every shortcut removed.",
        )
        with st.expander("Options", key="sidebar.options"):
            shortcut = choice(
                st.radio,
                "Shortcut option",
                "shortcut",
                options=list(_SHORTCUT_LABELS),
                format_func=_SHORTCUT_LABELS.get,
                disabled=not skip,
                help="He et al. 2015, §3.3. Default: B for ImageNet (as torchvision), A for CIFAR.",
            )
            paper_stride = choice(
                st.toggle,
                "Paper stride placement (v1)",
                "paper_stride",
                help="Bottlenecks only: stride 2 on the first 1×1 conv as in the paper, "
                "instead of on the 3×3 conv as torchvision (v1.5).",
                disabled=name not in IMAGENET_MODELS or name in ("resnet18", "resnet34"),
            )
            preact = choice(st.toggle, "Pre-activation blocks (He et al. 2016)", "preact")
            low, high = INPUT_SIZE_LIMITS[family]
            size = choice(
                st.number_input,
                "Input size (pixels)",
                f"{family}_size",
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
        st.caption(f"**{spec.label}** · input {size}×{size}")
    return spec, int(size)
