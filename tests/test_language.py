"""English and 简体中文: the catalog is complete and consistent, the language is chosen as documented, and each
session of one server reads its own language."""

import json
import re
import threading
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from streamlit.testing.v1 import AppTest

from explorer import glossary, language
from explorer.language import CHINESE, ENGLISH, N_, _, ngettext
from tests.conftest import ROOT

CATALOG = ROOT / "explorer" / "locale" / "zh_CN" / "LC_MESSAGES" / "explorer.po"
PLACEHOLDER = re.compile(r"{(\w*)[^{}]*}")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy": None}  # as scripts/translations.sh extracts (-k lazy)


def catalog_messages() -> dict[str, str]:
    """Every message of the Chinese catalog: its English text and its translation (plurals: the first forms)."""
    with CATALOG.open("rb") as po:
        catalog = pofile.read_po(po)
    messages = {}
    for message in catalog:
        if message.id:
            assert not message.fuzzy, f"a fuzzy translation (check it, then drop the flag): {message.id!r}"
            english = message.id if isinstance(message.id, str) else message.id[0]
            chinese = message.string if isinstance(message.string, str) else message.string[0]
            messages[english] = chinese
    return messages


def marked_in_sources() -> set[str]:
    """Every text the sources mark for translation, as ``bash scripts/translations.sh`` extracts them."""
    sources = [ROOT / "Home.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "explorer").rglob("*.py")]
    found = set()
    for path in sources:
        for _line, message, _comments, _context in extract_from_file("python", path, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_text_has_its_chinese_and_the_catalog_nothing_else() -> None:
    messages = catalog_messages()
    marked = marked_in_sources()
    assert marked - set(messages) == set(), "new texts: run `bash scripts/translations.sh` and translate them"
    assert set(messages) - marked == set(), "texts no source uses: run `bash scripts/translations.sh`"
    assert [english for english, chinese in messages.items() if not chinese.strip()] == []


def test_every_translation_fills_the_same_placeholders() -> None:
    for english, chinese in catalog_messages().items():
        assert sorted(PLACEHOLDER.findall(chinese)) == sorted(PLACEHOLDER.findall(english)), english


@pytest.mark.parametrize("term", glossary.TERMS, ids=lambda term: term.english)
def test_every_chinese_text_says_a_glossary_term_the_same_way(term: glossary.Term) -> None:
    uses = {english: chinese for english, chinese in catalog_messages().items() if term.in_english(english)}
    assert {english: chinese for english, chinese in uses.items() if term.chinese not in chinese} == {}


def test_the_glossary_holds_the_terms_of_chinese_resnet_notes() -> None:
    chinese = {term.chinese for term in glossary.TERMS} | {term.also for term in glossary.TERMS}
    notes = "残差网络 残差块 恒等映射 快捷连接 跳跃连接 投影快捷连接 基本块 瓶颈结构 梯度消失 梯度爆炸 退化问题"
    for word in (notes + " 批归一化 全局平均池化 特征图 迁移学习 冻结 微调 感受野 有效感受野 损失曲面 预激活").split():
        assert word in chinese
    assert glossary.rows()[0] == {"English": "residual network", "中文": "残差网络"}


def test_texts_translate_in_a_speaking_block_and_english_is_the_text_itself() -> None:
    assert _("Projector mode") == "Projector mode"
    with language.speaking(CHINESE):
        assert _("Projector mode") == "投影模式"
        assert _(N_("Home")) == "首页"
        assert _("{page} · ResNet Explorer").format(page="首页") == "首页 · ResNet 探索器"
        assert _("a text nobody marked") == "a text nobody marked"
        with language.speaking(ENGLISH):
            assert _("Projector mode") == "Projector mode"
        assert language.current() == CHINESE
    assert language.current() == ENGLISH
    with pytest.raises(ValueError, match="unknown language 'fr'"), language.speaking("fr"):
        pass


def test_a_number_decides_the_word_in_english_and_not_in_chinese() -> None:
    assert ngettext("{count} block", "{count} blocks", 1) == "{count} block"
    assert ngettext("{count} block", "{count} blocks", 3) == "{count} blocks"


def test_each_language_writes_numbers_and_percentages_as_the_pages_format_them() -> None:
    from babel.numbers import format_decimal, format_percent

    for code in language.LANGUAGES:  # Babel's locale data: a language that writes them otherwise needs its own formats
        locale = language.LOCALES[code]
        assert format_decimal(11689512.25, format="#,##0.00", locale=locale) == f"{11689512.25:,.2f}"
        assert format_percent(0.2503, format="#,##0.0%", locale=locale) == f"{0.2503:.1%}"


def test_each_thread_speaks_its_own_language() -> None:
    seen = {}

    def read(code: str) -> None:
        with language.speaking(code):
            seen[code] = _("Projector mode")

    threads = [threading.Thread(target=read, args=(code,)) for code in (CHINESE, ENGLISH)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {CHINESE: "投影模式", ENGLISH: "Projector mode"}


@pytest.mark.parametrize(
    ("asked", "kept", "browser", "expected"),
    [
        (None, None, None, (ENGLISH, False)),
        (None, None, "zh-CN", (CHINESE, False)),
        (None, None, "zh-TW", (CHINESE, False)),
        (None, None, "de-DE", (ENGLISH, False)),
        (None, CHINESE, "en-US", (CHINESE, False)),
        ("en", CHINESE, "zh-CN", (ENGLISH, False)),
        ("zh_Hans", None, None, (CHINESE, False)),
        ("klingon", CHINESE, "zh-CN", (ENGLISH, True)),
        ("", None, "zh", (ENGLISH, True)),
    ],
)
def test_the_language_is_the_addresss_else_the_sessions_else_the_browsers(
    asked: str | None, kept: str | None, browser: str | None, expected: tuple[str, bool]
) -> None:
    assert language.chosen(asked, kept, browser) == expected


def test_shortcut_labels_name_every_shortcut_option() -> None:
    from explorer.ui.common import _SHORTCUT_LABELS
    from models import SHORTCUT_OPTIONS

    assert set(_SHORTCUT_LABELS) == {"default", *SHORTCUT_OPTIONS}
    for option, words in SHORTCUT_OPTIONS.items():
        assert _SHORTCUT_LABELS[option] == f"{option}: {words}"


def test_every_page_file_has_a_sidebar_link() -> None:
    from explorer.ui import navigation

    files = {navigation.page_file(title) for title in navigation.ICONS}
    assert files == {"Home.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))}
    assert all(Path(ROOT / file).exists() for file in files)


def home(lang: str | None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    if lang is not None:
        app.query_params["lang"] = lang
    return app.run()


def test_two_sessions_of_one_server_read_each_their_own_language() -> None:
    chinese, english = home("zh"), home(None)
    for _round in range(2):  # each session keeps its language over its reruns, whatever the other reads
        assert chinese.title[0].value.endswith("ResNet 探索器") and not chinese.exception
        assert english.title[0].value.endswith("ResNet Explorer") and not english.exception
        assert chinese.radio(key="page.language.switch").value == CHINESE
        assert "术语表：English ↔ 中文" in [expander.label for expander in chinese.expander]
        assert chinese.query_params["lang"] == CHINESE and "lang" not in english.query_params
        with language.speaking(CHINESE):  # AppTest formats the widgets' options in this thread, not the page's
            chinese.run()
        english.run()
    with language.speaking(CHINESE):
        chinese.radio(key="page.language.switch").set_value(ENGLISH).run()
    assert chinese.title[0].value.endswith("ResNet Explorer")
    assert chinese.query_params["lang"] == ENGLISH


def test_an_unknown_language_in_the_address_gives_english_and_says_so_in_one_line() -> None:
    app = home("<b>fr</b>")
    assert app.title[0].value.endswith("ResNet Explorer") and not app.exception
    assert [info.value for info in app.info] == [
        r"The address asks for a language the explorer does not have (\<b\>fr\</b\>): the page is in English."
    ]
    assert app.query_params["lang"] == ENGLISH


def test_the_readme_lists_the_glossary() -> None:
    readme = (ROOT / "README.md").read_text()
    for row in glossary.rows():
        assert f"| {row['English']} | {row['中文']} |" in readme


def test_one_stage_table_reads_in_each_language_where_it_is_shown() -> None:
    from explorer import ModelSpec, stage_table, table_rows
    from explorer.architecture.stages import block_order, describe_shortcuts

    table = stage_table(ModelSpec("resnet50"))  # what the server shares: it holds no text of one language
    english = table_rows(table)
    with language.speaking(CHINESE):
        chinese = table_rows(table)
        assert str(table.blocks[3].shortcut_detail) == "投影：1×1, 512, /2 卷积 + BN"
        assert block_order(ModelSpec("resnet18")).startswith("原始结构（He 等 2015）：卷积 → BN → ReLU，共两次")
    assert list(chinese[1].values())[-2:] == ["1 条虚线（投影），2 条实线（恒等）", "3×3 最大池化，步幅 2"]
    assert list(english[1].values())[-2:] == ["1 dashed (projection), 2 solid (identity)", "3×3 max pool, stride 2"]
    assert chinese[-1]["stage"] == "合计" and chinese[-1]["layers"] == "50 个带权重的层"
    assert str(table.blocks[3].shortcut_detail) == "projection: 1×1, 512, /2 conv + BN"
    assert describe_shortcuts(()) == "—"


def test_the_architecture_page_in_chinese_beside_one_in_english() -> None:
    pages = {}
    for code in (CHINESE, ENGLISH):
        app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
        app.query_params["lang"] = code
        with language.speaking(code):
            pages[code] = app.switch_page("pages/1_Architecture.py").run()
        assert not app.exception
    chinese, english = pages[CHINESE], pages[ENGLISH]
    assert [s.value for s in chinese.header][:3] == ["阶段表", "模块结构图", "比较不同深度"]
    assert [s.value for s in english.header][:3] == ["Stage table", "Block diagram", "Compare depths"]
    assert chinese.table[0].value.columns[0] == "阶段" and english.table[0].value.columns[0] == "stage"
    assert chinese.metric[0].label == "深度"
    assert chinese.info[0].value.startswith("**ResNet-50**：每个模块都把输入加回去")
    legends = {code: {t["name"] for t in json.loads(page.get("plotly_chart")[0].proto.spec)["data"] if "name" in t}
               for code, page in pages.items()}  # fmt: skip
    assert "投影快捷连接（虚线）" in legends[CHINESE] and "projection shortcut (dashed)" in legends[ENGLISH]


def chinese_page(page: str, **address: str) -> AppTest:
    """An AppTest of ``page`` opened in Chinese (``?lang=zh`` and ``address``), run, with no exception. AppTest
    formats the widgets' options in the test's own thread, so the page runs inside ``speaking(CHINESE)``."""
    app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    app.query_params.update({"lang": CHINESE, **address})
    with language.speaking(CHINESE):
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def test_the_device_is_said_in_the_readers_language_and_recorded_in_english() -> None:
    import torch

    from explorer.device import describe_device

    threads = torch.get_num_threads()
    with language.speaking(CHINESE):
        assert describe_device(torch.device("cpu")) == f"CPU · {threads} 个线程"
    assert describe_device(torch.device("cpu")) == f"CPU · {threads} thread" + ("s" if threads != 1 else "")


def test_the_gradient_lab_in_chinese() -> None:
    app = chinese_page("pages/4_Gradient_lab.py")
    with language.speaking(CHINESE):
        assert [s.value for s in app.header][:2] == ["初始化时", "最初的几步训练"]
        assert app.selectbox(key="widget.g.preset").value == "vanishing: plain-56, sigmoid, no BN"  # the address's
        assert app.selectbox(key="widget.g.preset").options[0] == "梯度消失：plain-56，sigmoid，无 BN"
        assert app.info[0].value.startswith("经典图景。")
        assert [m.label for m in app.metric][:2] == ["普通网络，第一层 ÷ 最后一层", "残差网络，第一层 ÷ 最后一层"]
        assert any(m.value.startswith("从最后一个模块回到第一个模块，普通网络的反向信号变为") for m in app.markdown)
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in figure["data"]] == ["普通网络", "残差网络"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "层（输入 → 输出）"


def test_the_receptive_fields_page_in_chinese() -> None:
    app = chinese_page("pages/7_Receptive_fields.py")
    assert [s.value for s in app.header][:2] == ["理论感受野", "有效感受野"]
    assert any(m.value.startswith("最后一个模块 conv5_3 的理论感受野为 **427×427** 像素") for m in app.markdown)
    assert list(app.dataframe[0].value.columns) == ["模块", "感受野", "跳距（累计步幅）", "特征图尺寸"]
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert (
        figure["data"][0]["name"] == "理论感受野"
        and figure["layout"]["yaxis"]["title"]["text"] == "感受野边长（输入像素）"
    )


@pytest.mark.usefixtures("recordings_folder")
def test_the_lesions_page_in_chinese_says_the_shared_pairs_description_in_chinese() -> None:
    app = chinese_page("pages/5_Lesions_and_paths.py")
    assert [s.value for s in app.header][:2] == ["删除模块", "误差与删除模块数的关系"]
    assert any(c.value.startswith("在形状数据集上训练的 ResNet-20 与 plain-20") for c in app.caption)
    assert any("1,000 张留出的形状数据集图像" in c.value for c in app.caption)
    assert [m.label for m in app.metric] == ["ResNet-20 测试误差", "plain-20 测试误差"]


def test_the_transfer_page_in_chinese_names_the_three_ways_to_transfer() -> None:
    app = chinese_page("pages/9_Transfer_learning.py")
    with language.speaking(CHINESE):
        assert [s.value for s in app.header] == ["源权重期望的输入", "微调"]
        assert app.multiselect(key="widget.runs").options[:3] == ["只训练分类头（特征提取器）", "分类头 + 最后一个阶段",
                                                                  "分类头 + 最后两个阶段"]  # fmt: skip
    described = "手写数字（scikit-learn，10 类）：300 张训练图像和 200 张留出图像"
    assert any(c.value.startswith(described) for c in app.caption)
    assert app.button(key="transfer.start").label.startswith("微调 6 种方式")


@pytest.mark.usefixtures("torch_home")
def test_the_image_lab_in_chinese() -> None:
    app = chinese_page("pages/2_Image_lab.py", family="cifar")
    with language.speaking(CHINESE):
        assert [s.value for s in app.header][:3] == ["1 · 图像", "2 · 权重", "3 · 每个残差块的 Grad-CAM"]
        assert app.radio(key="widget.weights").options[1] == "在形状数据集上训练（随附）"
    explaining = next(c.value for c in app.caption if c.value.startswith("正在解释"))
    assert "**类别 7**" in explaining  # the class explained, in Chinese: this untrained model's classes have no names
    assert list(app.dataframe[0].value.columns) == ["通道", "平均", "最大", "活跃比例"]


def test_a_bad_upload_is_refused_in_the_readers_language_even_from_a_queue_worker() -> None:
    from explorer.images import ImageError, load_image

    def refused() -> str:
        try:
            load_image(b"not an image", "notes.txt")
        except ImageError as error:
            return str(error)
        raise AssertionError("decoded")

    with language.speaking(CHINESE):
        job = language.in_current_language(refused)
    said: list[str] = []
    worker = threading.Thread(target=lambda: said.append(job()))  # another thread, as the queue's worker is
    worker.start()
    worker.join()
    assert said == ["'notes.txt' 不是 Pillow 能读取的图像（JPEG, PNG, WebP, BMP, GIF, TIFF）：请上传这些格式之一的照片"]
    assert refused().startswith("'notes.txt' is not an image Pillow can read")


def test_a_checkpoint_is_refused_in_the_readers_language() -> None:
    from explorer.weights import WeightsError
    from explorer.weights.checkpoint import read_checkpoint

    with language.speaking(CHINESE), pytest.raises(WeightsError) as refused:
        read_checkpoint(b"PK\x03\x04 not really a zip", "model.pth")
    assert str(refused.value).startswith("'model.pth' 是一个损坏的 zip 压缩包")
    with pytest.raises(WeightsError, match=re.escape("'model.pth' is empty; upload the checkpoint file again")):
        read_checkpoint(b"", "model.pth")


def test_a_lesson_file_is_refused_and_warned_about_in_the_readers_language() -> None:
    from explorer.lessons.lesson import LessonError, parse_lesson

    bad = 'title = "A lesson"\n[[steps]]\ntitle = "first"\npage = "Nowhere"\n'
    with language.speaking(CHINESE), pytest.raises(LessonError) as refused:
        parse_lesson(bad, "mine.toml")
    assert str(refused.value).startswith("mine.toml，第 1 步，字段 'page'：没有页面 'Nowhere'；页面有 Home")
    with language.speaking(CHINESE):
        warned = parse_lesson('title = "A lesson"\n[[steps]]\ntitle = "first"\npage = "Home"\n').untranslated()
    assert warned == ["所有文字都只有 en：使用 zh 的读者看到的是 en"]


def test_the_chinese_guide_for_teachers_shows_a_lesson_that_reads_and_names_the_controls_as_the_pages_do() -> None:
    from explorer.lessons.lesson import parse_lesson

    guide = (ROOT / "README.zh-CN.md").read_text()
    lesson = parse_lesson(re.search(r"```toml\n(.*?)```", guide, re.DOTALL)[1], "guide.toml")
    with language.speaking(CHINESE):
        assert str(lesson.title) == "我的第一节课"
        for control in ("Start a class", "Next →", "Reveal the answer", "Explore on my own", "Back to the class"):
            assert f"**{_(control)}**" in guide, control
    assert "[README.zh-CN.md](README.zh-CN.md)" in (ROOT / "README.md").read_text()


def test_no_page_shows_english_prose_the_catalog_cannot_translate() -> None:
    import ast

    from tests.test_literal_text import MARKDOWN

    def prose(node: ast.expr) -> bool:  # literal words in a text given to Streamlit as it stands
        parts = [node] if isinstance(node, ast.Constant) else node.values if isinstance(node, ast.JoinedStr) else []
        return any(isinstance(p, ast.Constant) and re.search(r"[a-z]{3}", str(p.value)) for p in parts)

    files = [*(ROOT / "explorer" / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "Home.py"]
    bare = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if getattr(node.func.value, "id", "") == "LOG":  # the server's log stays English
                continue
            texts = node.args[:1] if node.func.attr in MARKDOWN | {"progress"} else []
            texts += [k.value for k in node.keywords if k.arg in ("help", "placeholder", "caption", "text", "label")]
            bare += [f"{path.name}:{node.lineno}" for text in texts if prose(text)]
    assert bare == []


def test_model_and_weights_names_are_said_in_the_readers_language_and_shared_as_one() -> None:
    from explorer import ModelSpec, catalogue
    from explorer.weights import RandomWeights

    spec = ModelSpec("resnet50", preact=True, shortcut="A", batch_norm=False)
    loaded = RandomWeights().load(ModelSpec("cifar_resnet20", preact=True))  # what the server shares
    pair = catalogue.PAIRS["imagenet-18"]
    with language.speaking(CHINESE):
        assert str(spec.label) == "ResNet-50（预激活，选项 A，无批归一化）"
        assert str(loaded.label) == "ResNet-20 (CIFAR)（预激活） 的随机初始化（未训练：预测和图都是无意义的噪声）"
        assert str(catalogue.NETS["untrained-preact-resnet56"].name) == "ResNet-56 预激活 · 未训练"
        assert str(pair.name) == "ImageNet：ResNet-18 对比 plain-18（未训练）"
    assert str(spec.label) == "ResNet-50 (pre-activation, option A, no BN)"
    assert str(loaded.label).startswith("Random initialisation of ResNet-20 (CIFAR) (pre-activation) (untrained:")
    assert str(pair.name) == "ImageNet: ResNet-18 vs plain-18 (untrained)"
    assert {pair.name: 1}[catalogue.pair("imagenet-18").name] == 1  # one key whatever the language


def test_every_imagenet_class_has_one_chinese_name_of_its_own() -> None:
    from torchvision.models import ResNet50_Weights

    with (language.CATALOGS / "zh_CN" / "LC_MESSAGES" / f"{language.CLASS_DOMAIN}.po").open("rb") as po:
        catalog = pofile.read_po(po)
    names = {m.id: m.string for m in catalog if m.id}
    assert list(names) == list(ResNet50_Weights.DEFAULT.meta["categories"])  # torchvision's 1,000, in its order
    assert all(names.values()) and not any(m.fuzzy for m in catalog if m.id)
    assert len(set(names.values())) == 1000  # no two classes read alike
    with language.speaking(CHINESE):
        said = [
            language.class_name(n) for n in ("golden retriever", "crane bird", "crane", "plane", "square", "class 3")
        ]
        assert language.class_name("7") == "7"
    assert said == ["金毛寻回犬", "鹤", "起重机", "刨子", "正方形", "类别 3"]  # a digit, or a folder's name, as it is
    assert language.class_name("golden retriever") == "golden retriever"


def test_the_class_picker_lists_a_class_in_the_readers_language_beside_its_english_name() -> None:
    from explorer.ui.imagelab import searchable_class

    names = ("tench", "goldfish", "7")
    with language.speaking(CHINESE):
        assert [searchable_class(names, i) for i in (1, 2)] == ["金鱼 · goldfish (1)", "7 (2)"]
    assert searchable_class(names, 1) == "goldfish (1)"


def test_every_bundled_photo_has_a_title_in_each_language() -> None:
    from explorer.images import SAMPLE_TITLES, SAMPLES, sample_title

    assert set(SAMPLE_TITLES) == set(SAMPLES)
    with language.speaking(CHINESE):
        assert sample_title("astronaut") == "宇航员"
    assert sample_title("astronaut") == "astronaut"


def test_a_refused_setting_and_a_refused_class_store_request_are_said_in_the_readers_language() -> None:
    from explorer.classroom.store import RoomError, SQLiteStore
    from explorer.errors import UserError, check_choice, check_range

    with language.speaking(CHINESE):
        with pytest.raises(UserError, match="steps 必须是 1 到 5 之间的整数；收到的是 9"):
            check_range("steps", 9, 1, 5)
        with pytest.raises(UserError, match="kind 必须是 line, plane 之一；收到的是 'cube'"):
            check_choice("kind", "cube", ("line", "plane"))
        with pytest.raises(RoomError, match=r"^无法打开课堂存储 /dev/null/rooms\.db："):
            SQLiteStore(Path("/dev/null/rooms.db"))


def test_a_csv_says_its_header_in_the_readers_language_and_keeps_its_column_names_english() -> None:
    from explorer.provenance import csv_text

    with language.speaking(CHINESE):
        text = csv_text(["step", "loss"], [{"step": 1, "loss": 0.5}], {N_("page"): "梯度实验室", N_("device"): "CPU"})
    lines = text.splitlines()
    assert lines[0] == "# ResNet 探索器导出" and lines[1].startswith("# 生成时间: ")
    assert lines[2:] == ["# 页面: 梯度实验室", "# 设备: CPU", "step,loss", "1,0.5"]
