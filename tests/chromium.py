"""Debian's headless Chromium as every browser test, benchmark and script launches it.

A plain module (it imports nothing of the tests): importing ``tests.conftest`` would put torch on one thread in the
importing process and in every server it starts.
"""

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
