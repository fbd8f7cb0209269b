"""Property-based tests (Hypothesis): whatever text or number reaches the address parser, the lesson parser or the
class store (from a link, an upload or a browser), the answer is a value, or a one-line refusal of the explorer's
own kind; never another exception. The store's run on both backends."""

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.address import address_text, allowed, parse_text
from explorer.classroom.store import RoomError, RoomStore
from explorer.lessons.lesson import LessonError, parse_lesson
from tests.test_class_store import LESSON, SECRET, redis_url, store, where  # noqa: F401 (fixtures)

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WIDGETS = [  # (default, bounds) as choice() keeps them for a page's widgets
    (True, {}),
    (20, {"options": [8, 14, 20, 32, 44, 56, 110]}),
    (224, {"min_value": 32, "max_value": 512, "step": 16}),
    (0.05, {"min_value": 0.0001, "max_value": 1.0}),
    ("B", {"options": ["default", "A", "B", "C"]}),
    (["resnet18", "resnet34"], {"options": ["resnet18", "resnet34", "resnet50"]}),
]
TEXT = st.text(max_size=80) | st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{0,6})?(e-?[0-9]{1,4})?", fullmatch=True)


@QUICK
@given(widget=st.sampled_from(WIDGETS), text=TEXT)
def test_any_text_in_the_address_is_a_value_the_widget_shows_or_a_value_error(widget: tuple, text: str) -> None:
    default, bounds = widget
    try:
        value = parse_text(text, default, bounds)
    except ValueError:
        return
    assert allowed(value, bounds) and type(value) is type(default)
    assert parse_text(address_text(value), default, bounds) == value  # and it reads back as itself


FIELD = st.sampled_from(["title", "summary", "page", "say", "settings", "question", "text", "kind", "choices",
                         "answer", "steps", "imagenet_model", "skip", "depth", "x"])  # fmt: skip
NUMBER = st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)
VALUE = st.text(max_size=30) | NUMBER | st.booleans() | st.lists(st.text(max_size=8), max_size=10)


def toml_line(field: str, value: object) -> str:
    """``field = value`` in TOML (JSON's strings, numbers and lists are TOML's)."""
    return f"{field} = {'true' if value is True else 'false' if value is False else json.dumps(value)}"


@QUICK
@given(
    head=st.lists(st.tuples(FIELD, VALUE), max_size=4),
    steps=st.lists(st.lists(st.tuples(FIELD, VALUE), max_size=6), max_size=4),
    noise=st.text(max_size=40),
)
def test_any_lesson_file_is_a_lesson_or_one_line_naming_the_problem(head: list, steps: list, noise: str) -> None:
    lines = [toml_line(f, v) for f, v in head]
    for step in steps:
        lines += ["[[steps]]", *(toml_line(f, v) for f, v in step)]
    for text in ("\n".join(lines), "\n".join(lines) + "\n" + noise):
        try:
            lesson = parse_lesson(text, "upload.toml")
        except LessonError as error:
            assert "\n" not in str(error).strip() or "TOML" in str(error)  # one line (TOML's own may quote the text)
            continue
        assert lesson.steps and all(step.page for step in lesson.steps)


@QUICK
@given(
    code=st.text(max_size=30),
    member=st.text(max_size=100),
    answer=st.text(max_size=100),
    step=st.integers(-(10**30), 10**30),
    ttl=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**30), 10**30),
)
def test_any_input_to_the_class_store_is_kept_or_refused_in_one_line(
    store: RoomStore,  # noqa: F811 (the fixture, on both backends)
    code: str,
    member: str,
    answer: str,
    step: int,
    ttl: float,
) -> None:
    room = store.create(LESSON, SECRET, 600.0)
    calls = [
        lambda: store.room(code),
        lambda: store.create(LESSON, SECRET, ttl),
        lambda: store.move(room.code, SECRET, step),
        lambda: store.seen(room.code, member, True),
        lambda: store.answer(room.code, 0, member, answer),
        lambda: store.reveal(room.code, SECRET, 0, answer),
        lambda: store.failures([(member, 60.0)], 1000.0),
    ]
    for call in calls:
        try:
            call()
        except RoomError as error:
            assert str(error) and "\n" not in str(error)
    assert store.room(room.code).step in (0, step)  # the room is as the calls left it, and readable
    if isinstance(ttl, float) and not math.isfinite(ttl):
        with pytest.raises(RoomError):
            store.create(LESSON, SECRET, ttl)
