"""The class surface in AppTest, tried as bad luck, an attacker and a curious student would (issue 24)."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.classroom.play import Play, start_class
from explorer.classroom.store import RoomError, StoreUnavailable
from explorer.language import CHINESE, speaking
from explorer.lessons.lesson import shipped_lessons
from explorer.ui import classroom, server
from tests.conftest import PAGES, ROOT, open_page

pytestmark = pytest.mark.usefixtures("recordings_folder", "torch_home")  # never the real recordings or weights
LESSON = "2_table1_and_the_shortcut"


@pytest.fixture
def class_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A fresh class store (SQLite) in an empty recordings folder, the one every page of these tests uses."""
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "recordings"))
    server.settings.clear()
    classroom.class_store.clear()
    yield classroom.class_store()
    classroom.class_store.clear()


def teacher_of_a_class() -> object:
    """The Class page of a browser that has just started a class of :data:`LESSON`."""
    at = open_page("pages/10_Class.py")
    at.selectbox(key="class.lesson").set_value(LESSON)
    at.button(key="class.start").click().run()
    assert not at.exception, at.exception
    return at


def test_next_while_the_store_is_down_is_one_line_and_the_page_goes_on(
    class_store: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = teacher_of_a_class()

    def down(*_: object) -> None:
        raise StoreUnavailable("The class store did not answer: try again")

    monkeypatch.setattr(class_store, "move", down)
    at.button(key="class.next").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "did not answer" in at.error[0].value
    assert at.button(key="class.next").label == "Next →"  # the bar is still there, at the same step
    assert any("step 1 of" in m.value for m in at.markdown)


def test_the_page_frame_draws_the_page_whatever_the_lesson_bar_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(title: str) -> bool:
        raise RoomError("The class store did not answer")

    monkeypatch.setattr(classroom, "lesson_bar", failing)
    at = open_page("pages/1_Architecture.py")
    assert len(at.error) == 1 and "did not answer" in at.error[0].value
    assert [m.label for m in at.metric][:2] == ["Depth", "Parameters"]  # the page itself, drawn below the line


@pytest.mark.parametrize("room", ["[Log in](//ev.il/x)", "![](//ev.il/p.png)", "<img src=//ev.il/p.png>"])
def test_a_class_link_with_markdown_or_html_in_it_is_shown_literally(class_store: object, room: str) -> None:
    at = open_page("Home.py", room=room)
    assert len(at.error) == 1
    shown = at.error[0].value
    assert not set(re.sub(r"\\.", "", shown)) & set("[]()<>!"), shown  # each one escaped: shown, not acted on


def test_a_damaged_class_store_is_one_line_and_a_new_class_starts(class_store: object) -> None:
    at = teacher_of_a_class()
    class_store.path.write_bytes(b"planted " * 1000)
    at.button(key="class.next").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "damaged" in at.error[0].value
    at.button(key="class.leave").click().run()  # the teacher ends the lost class and starts another
    at.selectbox(key="class.lesson").set_value(LESSON)
    at.button(key="class.start").click().run()
    assert not at.exception and not at.error, at.error
    assert any("Class code" in m.value for m in at.markdown)


def student_on_the_question_step(store: object) -> tuple[object, int, Play, object]:
    """A class of :data:`LESSON` at its first step with a question, and a student who joined by the class link and
    follows it there: ``(lesson, the step's index, the teacher's play, the student's page)``."""
    lesson = shipped_lessons()[LESSON]
    asking = next(i for i, step in enumerate(lesson.steps) if step.question is not None)
    teacher = start_class(store, lesson, 30)
    student = open_page("Home.py", room=teacher.code)
    store.move(teacher.code, teacher.secret, asking)
    student.run()
    assert not student.exception, student.exception
    return lesson, asking, teacher, student


def test_a_student_on_a_step_page_is_told_when_the_teacher_ends_the_class(class_store: object) -> None:
    teacher = start_class(class_store, shipped_lessons()[LESSON], 30)
    student = open_page("Home.py", room=teacher.code)  # the class link: joins and opens the step's page
    assert any("Following the class" in m.value for m in student.markdown)
    class_store.close(teacher.code, teacher.secret)
    student.run()
    assert not student.exception, student.exception
    assert [m.label for m in student.metric][:1] == ["Depth"]  # still on the step's page (Architecture) …
    assert len(student.warning) == 1 and "ended" in student.warning[0].value  # … and told there


def test_before_the_reveal_a_students_browser_gets_none_of_the_pages_results(class_store: object) -> None:
    _, asking, teacher, student = student_on_the_question_step(class_store)
    assert any("revealed" in i.value for i in student.info)  # "… once the answer is revealed: predict first"
    sent = [e for e in student.main if e.type in ("metric", "plotly_chart", "table", "dataframe", "image")]
    assert not sent and not student.metric, sent  # not hidden by styling: never sent
    class_store.reveal(teacher.code, teacher.secret, asking, "42")
    student.run()
    assert student.metric, "the page's results once the answer is revealed"


def test_a_setting_in_the_address_that_the_page_cannot_show_is_named_in_one_line() -> None:
    at = open_page("Home.py", imagenet_model="resnet9000", skip="maybe", shortcut="B")  # a bookmark of the page
    assert len(at.warning) == 1, [w.value for w in at.warning]
    said = re.sub(r"\\(.)", r"\1", at.warning[0].value)  # as the page shows it
    assert "imagenet_model='resnet9000' (shown: resnet50)" in said and "skip='maybe' (shown: 1)" in said
    assert "shortcut" not in said and at.query_params.get("shortcut") == "B"  # a value it can show is used


@pytest.mark.parametrize("page", [*PAGES, "Home.py"])
def test_every_page_computes_only_inside_the_frame_that_draws_the_lesson_bar_first(page: str) -> None:
    body = ast.parse((ROOT / page).read_text()).body
    docstring = body[:1] if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else []
    statements = [s for s in body if not isinstance(s, ast.Import | ast.ImportFrom) and s not in docstring]
    assert len(statements) == 1 and isinstance(statements[0], ast.With), page  # nothing computed before the frame
    assert ast.unparse(statements[0].items[0].context_expr.func) == "frame.page"


def test_the_lesson_bar_is_drawn_right_after_the_title_before_the_page() -> None:
    at = open_page("Home.py")
    at.session_state[classroom.PLAY] = Play(shipped_lessons()[LESSON])
    at.run()
    first, second, *_ = at.main.children.values()
    assert first.type == "title" and str(second.proto.id).endswith("-lesson-bar")


@pytest.mark.parametrize("refusal", ["down", "revealed"])
def test_a_refused_answer_stays_said_until_the_student_answers(
    class_store: object, refusal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson, asking, teacher, student = student_on_the_question_step(class_store)
    answer = student.number_input(key=f"class.answer.{asking}") if lesson.steps[asking].question.kind == "number" \
        else student.radio(key=f"class.answer.{asking}")  # fmt: skip
    answer.set_value(answer.options[0] if hasattr(answer, "options") else 7).run()
    store_answer = type(class_store).answer

    def refused(store: object, *args: object) -> None:
        if refusal == "down":
            raise StoreUnavailable("The class store did not answer: try again")
        store.reveal(teacher.code, teacher.secret, asking, "42")  # the teacher revealed just before the answer came
        store_answer(store, *args)

    monkeypatch.setattr(type(class_store), "answer", refused)
    said = "did not answer" if refusal == "down" else "answers are closed"
    student.button(key=f"class.answer.{asking}.send").click().run()
    for poll in range(2):  # the click's run, then the next poll of the student's bar: the refusal is still there
        assert not student.exception, student.exception
        assert [e.value for e in student.error if said in e.value], (poll, [e.value for e in student.error])
        student.run()
    if refusal == "down":  # the store answers again: sent, and the refusal is gone
        monkeypatch.undo()
        student.button(key=f"class.answer.{asking}.send").click().run()
        assert not student.error and any("Your answer is in" in c.value for c in student.caption)


def test_a_lesson_whose_steps_need_nets_trained_here_offers_to_train_them_before_the_class(
    class_store: object,
) -> None:
    at = open_page("pages/10_Class.py")
    at.selectbox(key="class.lesson").set_value("3_why_shortcuts_help").run()
    assert not at.exception, at.exception
    assert any("train them now, before the class" in c.value for c in at.caption)
    offered = at.button(key="lesions.train.digits-56")  # the Lesions page's own button: progress, stop, kept on disk
    assert offered.label.startswith("Train ResNet-56 and plain-56 on the digits")
    at.selectbox(key="class.lesson").set_value(LESSON).run()  # a lesson that needs none: not offered
    assert not any(b.key == "lesions.train.digits-56" for b in at.button)


def test_two_students_of_one_class_read_it_each_in_their_own_language(class_store: object) -> None:
    lesson, asking, teacher, english = student_on_the_question_step(class_store)
    with speaking(CHINESE):  # AppTest formats the widgets' options in the test's thread
        chinese = open_page("Home.py", room=teacher.code, lang="zh")
    assert f"step {asking + 1} of {len(lesson.steps)}: **Option B" in next(
        m.value for m in english.markdown if m.value.startswith("**Following")
    )
    assert any(m.value.startswith("**正在跟随课堂") and f"第 {asking + 1} 步" in m.value for m in chinese.markdown)
    assert any(m.value.startswith("**问题：**") for m in chinese.markdown)
    assert any(m.value.startswith("**Question:**") for m in english.markdown)
    assert chinese.info[0].value == "答案公布后页面才会显示结果：先做出你的预测。"
    class_store.close(teacher.code, teacher.secret)
    with speaking(CHINESE):
        chinese.run()
    english.run()
    assert chinese.warning[0].value.startswith("课堂 ") and chinese.warning[0].value.endswith(
        "已经结束：请向老师要一个新的代码。"
    )
    assert "has ended" in english.warning[0].value and "ask your teacher for a new code" in english.warning[0].value


def test_a_student_answers_a_choice_in_chinese_and_the_class_store_keeps_its_english_value(class_store: object) -> None:
    lesson = shipped_lessons()["1_vanishing_gradients"]
    teacher = start_class(class_store, lesson, 30)
    with speaking(CHINESE):
        student = open_page("Home.py", room=teacher.code, lang="zh")
        radio = student.radio(key="class.answer.0")
        assert radio.options == ["普通网络", "残差网络"]
        radio.set_value("residual").run()
        student.button(key="class.answer.0.send").click().run()
    assert class_store.answers(teacher.code, 0) == ["residual"]
    assert any("你的回答已提交：残差网络" in c.value for c in student.caption)


def test_a_teacher_reading_chinese_hands_out_a_class_link_in_chinese(class_store: object) -> None:
    with speaking(CHINESE):
        at = open_page("pages/10_Class.py", lang="zh")
        at.selectbox(key="class.lesson").set_value(LESSON)
        at.button(key="class.start").click().run()
    assert not at.exception, at.exception
    said = next(m.value for m in at.markdown if m.value.startswith("学生打开"))
    code = at.session_state[classroom.PLAY].code
    assert re.sub(r"\\(.)", r"\1", said).split("**")[1].endswith(f"/Class?room={code}&lang=zh")


def test_a_teacher_in_chinese_counts_the_answers_of_a_student_in_each_language(class_store: object) -> None:
    with speaking(CHINESE):
        teacher = open_page("pages/10_Class.py", lang="zh")
        teacher.selectbox(key="class.lesson").set_value("1_vanishing_gradients")  # its first step asks a question
        teacher.button(key="class.start").click().run()
    code = teacher.session_state[classroom.PLAY].code
    english = open_page("Home.py", room=code)
    english.radio(key="class.answer.0").set_value("plain").run()
    english.button(key="class.answer.0.send").click().run()
    with speaking(CHINESE):
        chinese = open_page("Home.py", room=code, lang="zh")
        chinese.radio(key="class.answer.0").set_value("residual").run()
        chinese.button(key="class.answer.0.send").click().run()
        teacher.run()
    asked = {app: next(m.value for m in app.markdown if "**Question:**" in m.value or "**问题：**" in m.value)
             for app in (teacher, english, chinese)}  # fmt: skip
    assert asked[teacher] == asked[chinese] != asked[english] and asked[english].startswith("**Question:**")
    counts = next(c.value for c in teacher.caption if c.value.startswith("回答"))
    assert counts == r"回答（2）：普通网络：1 · 残差网络：1", counts
