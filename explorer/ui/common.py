"""The Streamlit pieces every page shares: page set-up, messages shown literally, and the model picker.

The modules of ``explorer.ui`` are the only ones that import Streamlit; pages call them, and they
call the plain functions of the rest of the package.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

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
}
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


def setup_page(title: str, icon: str) -> None:
    """Page config, title and the device the models run on; call first on every page.

    ``icon`` is a ``:material/name:`` code.
    """
    st.set_page_config(page_title=f"{title} · ResNet Explorer", page_icon=icon, layout="wide")
    _settled()
    st.title(f"{icon} {title}")
    replica = settings().replica
    st.sidebar.caption(f"Device: {device_label()}" + (f" · replica {replica}" if replica else ""))
    if replica:
        _say_if_moved(replica)
        _heartbeat()


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


def _choice(widget: Callable[..., Any], label: str, name: str, **kwargs: Any) -> Any:
    """Render ``widget`` bound to the persistent choice ``name``."""
    store, key = f"choice.{name}", f"widget.{name}"
    st.session_state.setdefault(store, _DEFAULTS[name])
    st.session_state[key] = st.session_state[store]

    def save() -> None:
        st.session_state[store] = st.session_state[key]

    return widget(label, key=key, on_change=save, **kwargs)


def model_sidebar() -> tuple[ModelSpec, int]:
    """The shared sidebar: pick a model and its options; returns the spec and the input size."""
    with st.sidebar:
        st.header("Model")
        family = _choice(
            st.radio,
            "Family",
            "family",
            options=list(_FAMILY_LABELS),
            format_func=_FAMILY_LABELS.get,
            horizontal=True,
        )
        if family == "imagenet":
            name = _choice(st.selectbox, "Variant", "imagenet_model", options=list(IMAGENET_MODELS))
        else:
            depth = _choice(
                st.select_slider,
                "Depth (6n+2)",
                "cifar_depth",
                options=list(_CIFAR_DEPTH_CHOICES),
                help="The paper's CIFAR-10 nets: 20, 32, 44, 56, 110 (and 1202).",
            )
            name = f"cifar_resnet{depth}"
        skip = _choice(
            st.toggle,
            "Skip connections (residual)",
            "skip",
            help="Off builds the plain counterpart: the same layers with every shortcut removed.",
        )
        with st.expander("Options", expanded=False):
            shortcut = _choice(
                st.radio,
                "Shortcut option",
                "shortcut",
                options=list(_SHORTCUT_LABELS),
                format_func=_SHORTCUT_LABELS.get,
                disabled=not skip,
                help="He et al. 2015, §3.3. Default: B for ImageNet (as torchvision), A for CIFAR.",
            )
            paper_stride = _choice(
                st.toggle,
                "Paper stride placement (v1)",
                "paper_stride",
                help="Bottlenecks only: stride 2 on the first 1×1 conv as in the paper, "
                "instead of on the 3×3 conv as torchvision (v1.5).",
                disabled=name not in IMAGENET_MODELS or name in ("resnet18", "resnet34"),
            )
            preact = _choice(st.toggle, "Pre-activation blocks (He et al. 2016)", "preact")
            low, high = INPUT_SIZE_LIMITS[family]
            size = _choice(
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
