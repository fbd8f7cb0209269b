"""The sidebar's links to every page, in the session's language.

Streamlit's own list of pages is made from the files' names and cannot be translated, so ``.streamlit/config.toml``
turns it off (``showSidebarNavigation = false``) and every page draws these links instead.
"""

from __future__ import annotations

import streamlit as st

from explorer.language import N_, _
from explorer.lessons.pages import CLASS_PAGE, HOME, page_files

HOME_HEADING = N_("ResNet Explorer")  # Home's title on the page; its link says "Home"
CLASS_FILE = "pages/10_Class.py"
ICONS = {
    N_("Home"): ":material/explore:",
    N_("Architecture"): ":material/account_tree:",
    N_("Image lab"): ":material/image_search:",
    N_("Shapes dataset"): ":material/category:",
    N_("Gradient lab"): ":material/monitoring:",
    N_("Lesions and paths"): ":material/content_cut:",
    N_("Loss landscape"): ":material/landscape:",
    N_("Receptive fields"): ":material/center_focus_strong:",
    N_("Variants side by side"): ":material/view_column:",
    N_("Transfer learning"): ":material/swap_horiz:",
    N_("Class"): ":material/co_present:",
}  # every page by its title (its file's name): the sidebar's order


def page_file(title: str) -> str:
    """The file of the page called ``title`` (one of :data:`ICONS`)."""
    return CLASS_FILE if title == CLASS_PAGE else page_files()[title]


def heading(title: str) -> str:
    """What page ``title`` shows as its title, in the session's language."""
    return _(HOME_HEADING) if title == HOME else _(title)


def sidebar_links() -> None:
    """A link to every page at the top of the sidebar, each named in the session's language."""
    with st.sidebar.container(key="pages"):
        for title, icon in ICONS.items():
            st.page_link(page_file(title), label=_(title), icon=icon)
