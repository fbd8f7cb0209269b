"""Debian's headless Chromium as every browser test, benchmark and script launches it, and a free port for the
server it opens.

A plain module (it imports nothing of the tests): importing ``tests.conftest`` would put torch on one thread in the
importing process and in every server it starts.
"""

import socket

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A script for a student's page (its argument: a step's "step n of N"): window.__shown becomes the time (Date.now())
# the page's lesson bar first shows that step while following; the class test and benchmark read it.
FOLLOWED = """(want) => {
    window.__shown = null;
    const look = () => {
        const bar = document.querySelector('.st-key-lesson-bar');
        if (bar && bar.innerText.includes(want) && bar.innerText.includes('Following')) {
            window.__shown = Date.now(); return; }
        setTimeout(look, 10);
    };
    look();
}"""
# True once the app's script run is over (Streamlit marks its state on the page): the page is drawn, nothing pending.
RUN_OVER = "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
# True once the explorer's own script has named what Streamlit leaves unnamed (explorer.ui.common.widget_names).
NAMED = "() => document.querySelector('[data-testid=stSidebarContent]')?.hasAttribute('aria-label')"


def free_port() -> int:
    """A port free on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What a page's latest run drew: while a page reruns (a fragment's tick, a switch to a new page), Streamlit keeps the
# elements of the run before on the page, greyed and marked stale, until the new run replaces them; a locator
# inside this one never finds those (two "Next →" buttons at once, or a click on one that is going away).
LIVE = '[data-testid="stElementContainer"]:not([data-stale="true"])'
