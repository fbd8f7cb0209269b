"""The frame every page's body runs in: the page set-up, the lesson bar, and the one place a page's bad input is said.

Apart from :mod:`explorer.ui.common` (the helpers every page and the lesson bar draw with) so that imports run one
way: the frame calls the lesson bar (:mod:`explorer.ui.classroom`), which draws with the helpers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from explorer.errors import UserError
from explorer.memory import Collector
from explorer.ui import classroom, common

COLLECT_EVERY_S = 5.0  # garbage in reference cycles lives at most this much longer
COLLECTOR = Collector(COLLECT_EVERY_S)


@contextmanager
def page(title: str) -> Iterator[None]:
    """Every page's body runs inside this: the page set-up (:func:`~explorer.ui.common.setup_page`), the lesson bar
    during a lesson (the body does not run while the step's question waits for its reveal), and the one place a page
    catches a bad input or setting (a :class:`~explorer.errors.UserError`), shown as one line where the page stops.

    A page's run ends with a full garbage collection (what Streamlit's ``runner.postScriptGC`` would do after every
    run, which ``.streamlit/config.toml`` turns off) when the process's last one is :data:`COLLECT_EVERY_S` old: not
    after each poll of a student following a class (half the server's time for those polls, measured),
    and once, not sixty times, when a class of sixty switches pages at once (:class:`~explorer.memory.Collector`).

    ``title`` is the page's title in English, as its file is named (``Home`` for Home.py; see
    :mod:`explorer.ui.navigation`): the page shows it in the session's language.
    """
    st.session_state[common.SETTINGS], st.session_state[common.SETTINGS_COMPLETE] = {}, False
    common.setup_page(title)
    try:
        try:
            waiting = classroom.lesson_bar(title)
        except UserError as error:  # said in one line; the page is drawn all the same (it yields exactly once)
            common.show_error(error)
            waiting = False
        if waiting:  # the page's results are not computed, so none of them reaches the browser before the reveal
            st.stop()
        notice = st.empty()  # above the page: what the address asked for that the page could not show
        try:
            yield
        except UserError as error:
            common.show_error(error)
        with notice.container():
            common.say_ignored()
        st.session_state[common.SETTINGS_COMPLETE] = True  # not after a stopped or interrupted run: its list is partial
    finally:
        COLLECTOR.after_run(time.monotonic())
