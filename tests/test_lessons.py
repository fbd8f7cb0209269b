"""Lessons: the shipped files, every way a lesson file can be wrong (one line naming the step and the field), the
answers the explorer computes for a question, and who may move a class."""

import re

import pytest
import torch
from torchvision.models import resnet34

from explorer.classroom.play import JOIN_LIMITS, Client, Play, client_address, join_class, move, start_class
from explorer.classroom.store import RoomError, SQLiteStore
from explorer.language import CHINESE, speaking
from explorer.lessons.answers import ANSWERS, last_block_field, projection_parameters
from explorer.lessons.lesson import LessonError, parse_lesson, shipped_lessons
from explorer.lessons.pages import page_settings, page_titles

BROWSER = Client("a-browser-id-of-16", "10.0.0.1")  # one browser, on one address

GOOD = """
title = "A lesson"
[[steps]]
title = "ResNet-34"
page = "Architecture"
[steps.settings]
imagenet_model = "resnet34"
"""


def lesson_with(step: str) -> str:
    return f'title = "A lesson"\n[[steps]]\ntitle = "first"\npage = "Home"\n[[steps]]\ntitle = "second"\n{step}'


def test_the_shipped_lessons_read_and_cover_the_three_topics() -> None:
    lessons = shipped_lessons()
    assert [str(lesson.title) for lesson in lessons.values()] == [
        "Vanishing gradients in ten minutes", "Table 1 and the shortcut", "Why shortcuts help",
        "ResNet-18 from input to output, then transfer learning"]  # fmt: skip
    pages = {step.page for lesson in lessons.values() for step in lesson.steps}
    assert pages == {"Gradient lab", "Architecture", "Lesions and paths", "Loss landscape", "Receptive fields",
                     "Transfer learning"}  # fmt: skip
    questions = [s.question for lesson in lessons.values() for s in lesson.steps if s.question is not None]
    assert [q.answer for q in questions] == list(ANSWERS)  # every computed answer is asked somewhere


def test_a_step_keeps_its_settings_as_the_address_does() -> None:
    step = parse_lesson(GOOD).steps[0]
    assert step.settings == {"imagenet_model": "resnet34"} and step.address() == {"imagenet_model": "resnet34"}
    at_default = parse_lesson(GOOD.replace('"resnet34"', '"resnet50"')).steps[0]  # the page's default
    assert at_default.settings == {"imagenet_model": "resnet50"} and at_default.address() == {}
    flags = parse_lesson(GOOD.replace('imagenet_model = "resnet34"', "skip = false")).steps[0]
    assert flags.address() == {"skip": "0"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = ", "the lesson is not valid TOML"),
        ('title = "x"', "the lesson has no steps"),
        ('summary = "x"\n[[steps]]\ntitle = "a"\npage = "Home"', "the lesson, field 'title' is missing"),
        ('title = "x"\nauthor = "me"\n[[steps]]\ntitle = "a"\npage = "Home"', "the lesson: unknown field 'author'"),
        (lesson_with('page = "Architecure"'), "the lesson, step 2, field 'page': no page 'Architecure'; the pages"),
        (lesson_with('page = "Class"'), "step 2, field 'page': no page 'Class'"),
        (lesson_with("page = 3"), "step 2, field 'page' must be text"),
        (lesson_with(""), "step 2, field 'page' is missing"),
        (lesson_with('page = "Home"\nnotes = "x"'), "step 2: unknown field 'notes'"),
        (lesson_with('page = "Architecture"\n[steps.settings]\nimagenet_model = "resnet9"'),
         "step 2 (Architecture), setting 'imagenet_model': 'resnet9' is not one the page offers (one of resnet18"),
        (lesson_with('page = "Architecture"\n[steps.settings]\nimagenet_size = 9000'),
         "setting 'imagenet_size': 9000 is not one the page offers (a number from 32 to 4096)"),
        (lesson_with('page = "Architecture"\n[steps.settings]\nskip = "no"'),
         "setting 'skip': 'no' is not one the page offers (true or false)"),
        (lesson_with('page = "Architecture"\n[steps.settings]\ndepth = 34'),
         "step 2 (Architecture), setting 'depth': the page has no such setting; it has block, cifar_depth"),
        (lesson_with('page = "Architecture"\n[steps.settings]\nprojector = true'),
         "setting 'projector': each viewer sets projector for themselves"),
        (lesson_with('page = "Gradient lab"\n[steps.settings]\n"g.lr" = 0'), "setting 'g.lr': 0 is not one"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "Which?"\nkind = "choice"\n'
                     'answer = "gradlab.larger_first_block_signal"'),
         "step 2, question, field 'choices': a choice question needs 2 to 8 choices"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "Which?"\nchoices = ["plain"]\n'
                     'answer = "gradlab.larger_first_block_signal"'), "a choice question needs 2 to 8 choices"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "Which?"\nchoices = ["a", "a"]\n'
                     'answer = "gradlab.larger_first_block_signal"'), "field 'choices' must be different texts"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "Which?"\nchoices = ["a", "b"]\n'
                     'answer = "gradlab.larger_first_block_signal"'),
         "field 'choices' must include every answer gradlab.larger_first_block_signal can give: plain, residual"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "How many?"\nkind = "number"\nchoices = ["1", "2"]\n'
                     'answer = "architecture.projection_parameters"'), "a number question has no choices"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "How many?"\nanswer = "the number 42"'),
         "step 2, question, field 'answer': no computed answer 'the number 42'; there are"),
        (lesson_with('page = "Home"\n[steps.question]\ntext = "How many?"\nkind = "choice"\nchoices = ["1", "2"]\n'
                     'answer = "architecture.projection_parameters"'),
         "architecture.projection_parameters is a number answer, the question a choice one"),
        (lesson_with('page = "Home"\n[steps.question]\nkind = "number"\nanswer = "architecture.projection_parameters"'),
         "step 2, question, field 'text' is missing"),
        (lesson_with('page = "Home"\nquestion = "Why?"'), "step 2, field 'question' must be a table"),
        (lesson_with('page = "Home"\nsay = "' + "x" * 2001 + '"'), "field 'say' is longer than 2000 characters"),
        ('title = "x"\nsteps = [1]', "the lesson, step 1 must be a table"),
    ],
)  # fmt: skip
def test_a_bad_lesson_file_gets_one_line_naming_the_step_and_field(text: str, message: str) -> None:
    with pytest.raises(LessonError) as raised:
        parse_lesson(text)
    assert message in str(raised.value) and "\n" not in str(raised.value), str(raised.value)


def test_the_settings_a_lesson_may_set_come_from_the_pages() -> None:
    assert page_titles()[0] == "Home" and "Class" not in page_titles()
    assert page_settings("Gradient lab")["demo_steps"] == {"default": 400, "options": [100, 200, 400, 800]}


def test_the_projection_answer_is_what_torchvisions_resnet34_spends_on_its_downsampling_shortcuts() -> None:
    model = resnet34()  # torchvision uses option B: a 1×1 projection (conv + batch norm) where the shape changes
    projections = [m.downsample for m in model.modules() if getattr(m, "downsample", None) is not None]
    assert len(projections) == 3
    assert projection_parameters() == str(sum(p.numel() for d in projections for p in d.parameters())) == "173824"


def test_the_receptive_field_answer_is_resnet50s_known_427_pixels() -> None:
    assert last_block_field() == "427"  # Araujo et al. 2019, "Computing receptive fields of CNNs" (Distill), Table


def test_the_gradient_answer_is_the_residual_net_in_the_vanishing_preset() -> None:
    torch.manual_seed(1)  # the answer does not depend on the global generator: the lab seeds its own builds
    assert ANSWERS["gradlab.larger_first_block_signal"].compute() == "residual"


def test_only_the_teachers_browser_moves_the_class(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "classroom.sqlite3")
    lesson = shipped_lessons()["2_table1_and_the_shortcut"]
    teacher = start_class(store, lesson, minutes=30)
    student = join_class(store, teacher.code or "", BROWSER)
    with pytest.raises(RoomError, match="Only the teacher's browser can move this class"):
        move(store, student, 2)
    impostor = Play(lesson, "teacher", code=teacher.code, secret="guessed")  # a forged play, without the secret
    with pytest.raises(RoomError, match="Only the teacher's browser"):
        move(store, impostor, 2)
    assert store.room(teacher.code or "").step == 0
    move(store, teacher, 2)
    assert store.room(teacher.code or "").step == 2 and teacher.step == 2
    with pytest.raises(RoomError, match="there is no step 6"):
        move(store, teacher, 5)


def test_a_thousand_guessed_codes_reach_the_store_five_times_and_the_class_goes_on(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "classroom.sqlite3")
    teacher = start_class(store, shipped_lessons()["1_vanishing_gradients"], minutes=30)
    looked_up: list[str] = []
    room = store.room
    store.room = lambda code: looked_up.append(code) or room(code)  # type: ignore[method-assign]
    refusals = []
    allowed = JOIN_LIMITS["browser"][0]
    for guess in range(1000):
        with pytest.raises(RoomError) as raised:
            join_class(store, f"ZZZZ{guess:04d}".replace("0", "A").replace("1", "B"), BROWSER, now=1000.0 + guess / 100)
        refusals.append(str(raised.value))
    assert len(looked_up) == allowed
    assert all(r.startswith("No class with code") for r in refusals[:allowed])
    assert all(r.startswith("Too many wrong class codes from this browser") for r in refusals[allowed:])
    later = join_class(store, teacher.code or "", BROWSER, now=1000.0 + 10 + 61)  # a minute later: allowed again
    assert later.code == teacher.code and later.role == "student"
    move(store, teacher, 1)  # the room itself was never touched
    assert store.room(teacher.code or "").step == 1


def test_the_lesson_command_checks_a_file_in_one_line(tmp_path, capsys) -> None:
    from explorer.cli import main

    bad = tmp_path / "my_lesson.toml"
    bad.write_text(lesson_with('page = "Architecture"\n[steps.settings]\nimagenet_model = "resnet9"'))
    assert main(["lesson", str(bad)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("python -m explorer: error: my_lesson.toml, step 2 (Architecture), setting") and (
        "\n" not in error
    )
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    assert main(["lesson", str(good), "--json"]) == 0
    assert '"address": "imagenet_model=resnet34"' in capsys.readouterr().out


def test_a_step_sets_every_setting_of_its_page() -> None:
    step = shipped_lessons()["2_table1_and_the_shortcut"].steps[1]  # the plain twin
    values = step.values()
    assert values["imagenet_model"] == "resnet34" and values["skip"] is False
    assert set(values) == set(page_settings("Architecture")) and values["shortcut"] == "default"  # the rest: defaults


def test_a_browsers_address_is_the_balancers_word_only_when_the_balancer_is_trusted() -> None:
    assert client_address("198.51.100.7", "1.2.3.4", "") == "198.51.100.7"  # no balancer: the header is the client's
    assert client_address("198.51.100.7", "1.2.3.4", "127.0.0.1") == "198.51.100.7"  # not from the balancer
    assert client_address(None, "6.6.6.6, 203.0.113.9", "127.0.0.1") == "203.0.113.9"  # the balancer's own entry
    assert client_address(None, None, "127.0.0.1") == "127.0.0.1"


def test_a_lesson_file_over_its_size_limit_is_refused_in_one_line() -> None:
    with pytest.raises(LessonError, match=r"upload\.toml is 300 KB; a lesson file is at most 256 KB"):
        parse_lesson(GOOD + "#" * 300 * 1024, "upload.toml")


BILINGUAL = """
language = "zh"
title = "表 1"
title.en = "Table 1"
[[steps]]
title.zh = "普通还是残差"
title.en = "Plain or residual"
page = "Gradient lab"
say = "只有中文"
[steps.question]
text = { zh = "哪个更大？", en = "Which is larger?" }
choices = [{ zh = "普通网络", en = "plain" }, { zh = "残差网络", en = "residual" }]
answer = "gradlab.larger_first_block_signal"
"""


def test_a_lesson_carries_its_texts_in_several_languages_and_each_reader_reads_their_own() -> None:
    with pytest.raises(LessonError, match="not valid TOML"):  # a text and a table for one field
        parse_lesson(BILINGUAL)
    lesson = parse_lesson(BILINGUAL.replace('title = "表 1"\ntitle.en', 'title.zh = "表 1"\ntitle.en'))
    step = lesson.steps[0]
    assert (str(lesson.title), str(step.title), str(step.say)) == ("Table 1", "Plain or residual", "只有中文")
    with speaking(CHINESE):
        assert (str(lesson.title), str(step.title), str(step.question.text)) == ("表 1", "普通还是残差", "哪个更大？")
        assert step.question.label("plain") == "普通网络" and step.question.label("42") == "42"
    assert step.question.choices == ("plain", "residual") and step.question.label("residual") == "residual"
    assert lesson.languages() == ("en", "zh")
    assert lesson.untranslated() == ["step 1, field 'say': no en text"]


def test_a_single_language_lesson_is_said_to_be_one_and_english_only_fields_are_warned_about() -> None:
    assert parse_lesson(GOOD).untranslated() == ["every text is in en only: readers of zh read it in en"]
    shipped = shipped_lessons()
    assert all(lesson.languages() == ("en", "zh") and not lesson.untranslated() for lesson in shipped.values())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('title = { fr = "Une leçon" }', "field 'title': no language 'fr'; the languages are en, zh"),
        ("title = { en = 3 }", "field 'title' must be text, or a table of texts by language"),
        ('language = "fr"\ntitle = "x"', "field 'language' must be one of en, zh; got 'fr'"),
        ('title = { en = "", zh = " " }', "field 'title' is missing"),
    ],
)
def test_a_bad_translated_field_is_refused_in_one_line(change: str, message: str) -> None:
    text = GOOD.replace('title = "A lesson"', change, 1)
    with pytest.raises(LessonError, match=re.escape(message)):
        parse_lesson(text)


def test_choices_differ_by_their_english_text_and_include_every_computed_answer() -> None:
    two = 'choices = [{ en = "plain", zh = "甲" }, { en = "plain", zh = "乙" }]'
    question = '[steps.question]\ntext = "?"\n' + two + '\nanswer = "gradlab.larger_first_block_signal"'
    with pytest.raises(LessonError, match="must be different texts"):
        parse_lesson(lesson_with('page = "Gradient lab"\n' + question))
    chinese_only = question.replace(two, 'choices = ["普通", "残差"]')
    with pytest.raises(LessonError, match="must include every answer"):
        parse_lesson(lesson_with('page = "Gradient lab"\n' + chinese_only))
