"""Every page names the device its models run on, and keeps its settings in its address: change each one, reload the
page from that address in a new session, and the page shows every setting as it was
(:func:`explorer.ui.common.choice` is the one way there); and a browser that lags behind the step a lesson opened
cannot undo the step's settings with its widgets' old values."""

import json
from typing import Any

import pytest

from explorer.device import describe_device, pick_device
from explorer.lessons.lesson import NOT_IN_LESSONS
from explorer.lessons.pages import page_settings, title_of
from explorer.ui.common import SETTINGS, VIEW
from tests.conftest import PAGES, open_page

pytestmark = pytest.mark.usefixtures("recordings_folder", "torch_home")  # never the real recordings or weights
INPUTS = ("selectbox", "radio", "toggle", "checkbox", "slider", "select_slider", "number_input", "multiselect",
          "text_input", "button_group")  # fmt: skip
NOT_SETTINGS = {  # not how the page is set up
    "grad.replay_step",  # where a replay stands
    "page.language.switch",  # the reader's language: the address keeps it as ?lang= (tests/test_language.py)
}
LESSON_CONTROLS = "class."  # a lesson's controls: where the lesson stands, not how the page is set up
ALONE = {"lesion_nets", "landscape_nets"}  # another pair must be trained first: the page stops there, so alone


def another(setting: dict[str, Any], now: Any) -> Any:
    """A value the setting's widget allows other than ``now``."""
    options = setting.get("options")
    if isinstance(now, list):
        return options[:1] if now != options[:1] else options[-2:]
    if options is not None:
        valid = [o for o in options if o is not None]
        return valid[(valid.index(now) + 1) % len(valid)] if now in valid else valid[0]
    if isinstance(now, bool):
        return not now
    low, high, step = setting.get("min_value"), setting.get("max_value"), setting.get("step") or 1
    return now + step if high is None or now + step <= high else low


def widgets(at: Any) -> dict[str, Any]:
    """Every input widget of the page by key."""
    return {w.key: w for kind in INPUTS for w in getattr(at, kind, []) if w.key}


def shown(at: Any) -> dict[str, Any]:
    """Each setting's value as the page's widget shows it."""
    found = widgets(at)
    return {name: found[f"widget.{name}"].value for name in at.session_state[SETTINGS] if f"widget.{name}" in found}


@pytest.mark.parametrize("page", ["Home.py", *PAGES])
def test_every_page_shows_the_device_and_every_setting_survives_a_reload(page: str) -> None:
    at = open_page(page)
    assert any(f"Device: {describe_device(pick_device())}" in c.value for c in at.sidebar.caption), page
    loose = [k for k in widgets(at) if not k.startswith(("widget.", LESSON_CONTROLS)) and k not in NOT_SETTINGS]
    assert not loose, f"widgets that bypass the address: {loose}"
    settings = at.session_state[SETTINGS]
    title = "Home" if page == "Home.py" else title_of(page)
    if title is not None:  # what a lesson may set is what the page offers (scripts/page_settings.py writes it)
        offered = {k: json.loads(json.dumps(v)) for k, v in settings.items() if k not in NOT_IN_LESSONS}
        assert {k: page_settings(title).get(k) for k in offered} == offered, "run scripts/page_settings.py"
    before = shown(at)
    for names in ([n for n in before if n not in ALONE], [n for n in before if n in ALONE]):
        if not names:
            continue
        at = open_page(page)
        for name in names:
            widgets(at)[f"widget.{name}"].set_value(another(settings[name], before[name]))
        at.run()
        assert not at.exception, at.exception
        changed = shown(at)
        assert sum(changed[n] != before[n] for n in names if n in changed) >= max(1, len(names) // 2), changed
        reloaded = open_page(page, **dict(at.query_params.items()))
        assert shown(reloaded) == changed


def test_a_late_browsers_old_widget_values_do_not_undo_the_step_a_lesson_opened() -> None:
    at = open_page("pages/1_Architecture.py")
    lagging = at.radio(key="widget.shortcut")  # the widget as the browser last saw it
    at.session_state[VIEW], at.session_state["choice.shortcut"] = 1, "B"  # what opening a step does
    lagging.set_value("C").run()  # the browser, not yet showing the step, sends its old value with its next request
    assert not at.exception
    assert at.session_state["choice.shortcut"] == "B" and at.radio(key="widget.1.shortcut").value == "B"
    at.radio(key="widget.1.shortcut").set_value("C").run()  # the student's own choice, on the step, still counts
    assert at.session_state["choice.shortcut"] == "C" and at.query_params["shortcut"] == "C"
