"""Text from outside (the address, uploads, lesson files, recordings, the class store) reaches the page only as
literal text: every value put into Streamlit's Markdown (texts, captions, messages, widget labels) goes through
``plain()``, or is one of the expressions below, read and found to be the explorer's own text (numbers, its own
labels and sentences). A new value in Markdown fails this test until it is escaped or reviewed and added here."""

import ast

from tests.conftest import ROOT

# Streamlit calls whose first argument is Markdown (labels too: they render links and images).
MARKDOWN = {
    "markdown", "caption", "error", "warning", "info", "success", "write", "toast", "title", "header", "subheader",
    "button", "download_button", "form_submit_button", "page_link", "expander", "popover", "status", "spinner",
    "tabs", "metric", "radio", "selectbox", "multiselect", "toggle", "checkbox", "number_input", "text_input",
    "slider", "select_slider", "file_uploader",
}  # fmt: skip
REVIEWED: dict[str, set[str]] = {
    "explorer/ui/classroom.py": {
        "current.step",
        "len(given)",
        "measures",
        "opening",
        "presence.following",
        "presence.present",
        "room.step",
        "shown_code(code)",
        "shown_code(room.code)",
        "total",
    },
    "explorer/ui/common.py": {
        "device",
        "heading",
        "navigation.ICONS[title]",
        "replica",
        "size",
        "spec.label",
    },
    "explorer/ui/gradlab.py": {
        "_(net)",
        "label",
    },
    "explorer/ui/imagelab.py": {
        "FORMAT_NAMES",
        "MAX_CHECKPOINT_BYTES // 2 ** 20",
        "MAX_FILE_BYTES // 2 ** 20",
        "imagenet.imagenet_unavailable_reason(spec)",
        "path",
        "spec.label",
    },
    "explorer/ui/landscape.py": {
        "settings.kind",
    },
    "explorer/ui/lesions.py": {
        "depth",
        "label",
    },
    "explorer/ui/navigation.py": {
        "page_file(title)",
    },
    "explorer/ui/receptive_fields.py": {
        "label",
    },
    "explorer/ui/server.py": {
        "_(what)",
        "settings().shared_mb",
        "waiting.format(what=_(what), count=ahead)",
    },
    "explorer/ui/transfer.py": {
        "label",
        "limit",
    },
    "explorer/ui/variants.py": {
        "said",
    },
    "pages/10_Class.py": {
        "MAX_LESSON_BYTES // 1024",
        "classroom.shown_code(current.code)",
        "len(lesson.steps)",
    },
    "pages/1_Architecture.py": {
        "'×'.join(map(str, block.in_shape))",
        "'×'.join(map(str, block.out_shape))",
        "block.paper_name",
        "block_order(spec)",
        "format_count(block.macs)",
        "kinds.count('identity')",
        "len(kinds) - kinds.count('identity')",
        "lines.get(block.line, _('**No shortcut** (plain block)'))",
        "note.format(size=size)",
        "size",
        "spec.label",
        "spec.shortcut_option",
        "str(block.shortcut_detail)",
    },
    "pages/2_Image_lab.py": {
        "FORMAT_NAMES",
        "_(METHODS[method].description)",
        "_(method)",
        "_(truth.class_name)",
        "len(result.stats)",
        "limit",
        "result.stats[-1].shape.split('×', 1)[1]",
        "result.target",
        "server.device_label()",
        "size",
        "truth.box",
    },
    "pages/3_Shapes_dataset.py": {
        "_(CLASSES[-1])",
        "separated((_(c) for c in CLASSES[:-1]))",
    },
    "pages/4_Gradient_lab.py": {
        "_(gradlab.PRESET_NOTES[preset])",
        "config.steps",
        "done.format(step=last, steps=run.config.steps)",
        "gradlab.PROFILE_IMAGE_SIZE",
        "gradlab.degradation_reading(shown_curves)",
        "gradlab.early_reading(early)",
        "gradlab.profile_reading(profiles, profiled)",
        "last",
        "max(gradlab.EARLY_STEPS)",
        "rate",
        "separated(gradlab.EARLY_STEPS[1:])",
        "step",
        "steps",
    },
    "pages/5_Lesions_and_paths.py": {
        "blocks",
        "blocks // 2",
        "label",
        "pair.description",
        "pair.residual_label",
        "paths.DEFAULT_IMAGES",
        "reading.lesion_reading(curves, kind, test.chance_error)",
        "reading.paths_reading(measured)",
        "samples",
        "test.description",
    },
    "pages/6_Loss_landscape.py": {
        "line_settings.points",
        "pair.description",
        "plane_settings.points",
        "reading.line_reading(lines)",
        "reading.plane_reading(planes)",
        "seed",
        "train.description",
    },
    "pages/7_Receptive_fields.py": {
        "_(EFFECTIVE_BOX)",
        "_(THEORY_BOX)",
        "count",
        "label",
        "nets_said",
        "reading.effective_reading(found, side)",
        "reading.theory_reading(fields, size)",
        "size",
        "spec.label",
    },
    "pages/8_Variants_side_by_side.py": {
        "reading.comparison_reading(views)",
        "separated(missing)",
        "server.device_label()",
        "stage",
        "view.input_size",
        "view.name",
    },
    "pages/9_Transfer_learning.py": {
        "', '.join(names)",
        "chosen.side",
        "len(finished[0].cams_before)",
        "len(names)",
        "len(names) - 1",
        "mean",
        "reading.moved_reading(finished)",
        "reading.runs_reading(finished, target.chance)",
        "recipe.batch_size",
        "recipe.epochs",
        "result.run.label",
        "separated(missing)",
        "server.device_label()",
        "std",
        "str(chosen.spec.label).replace(' (CIFAR)', '')",
        "target.description",
    },
    "Home.py": {
        "navigation.page_file(title)",
        "server.device_label()",
        "size",
        "spec.label",
    },
}


def is_plain(node: ast.expr) -> bool:
    """Whether ``node`` is a call of ``plain()`` (or ``common.plain()``)."""
    return isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "plain"


def is_translated(node: ast.expr) -> bool:
    """Whether ``node`` translates a literal text of the explorer (``_("...")``, ``ngettext("...", "...", n)``)."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) in ("_", "ngettext")
        and all(isinstance(arg, ast.Constant) for arg in node.args[:2] if node.func.id == "ngettext")
        and (node.func.id == "ngettext" or (len(node.args) == 1 and isinstance(node.args[0], ast.Constant)))
    )


def rendered(node: ast.expr) -> set[str]:
    """The values in the text ``node`` makes that are neither literal, nor ``plain()``, nor formatted numbers."""
    if isinstance(node, ast.Constant) or is_plain(node) or is_translated(node):
        return set()
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "format" and is_translated(node.func.value):
        return set().union(*(rendered(k.value) for k in node.keywords), *(rendered(a) for a in node.args))
    if isinstance(node, ast.JoinedStr):
        parts = [p.value for p in node.values if isinstance(p, ast.FormattedValue) and p.format_spec is None]
        return set().union(*(rendered(part) for part in parts))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return rendered(node.left) | rendered(node.right)
    if isinstance(node, ast.IfExp):
        return rendered(node.body) | rendered(node.orelse)
    return {ast.unparse(node)}


def unescaped(tree: ast.Module) -> set[str]:
    """The values ``tree`` puts into Markdown that are neither literal, nor ``plain()``, nor formatted numbers."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    return set().union(*(rendered(call.args[0]) for call in calls if call.func.attr in MARKDOWN and call.args))


def test_every_value_in_markdown_is_escaped_or_the_explorers_own() -> None:
    files = [*sorted((ROOT / "explorer" / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "Home.py"]
    new = {}
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        if extra := unescaped(ast.parse(path.read_text())) - REVIEWED.get(name, set()):
            new[name] = sorted(extra)
    assert not new, f"wrap these in plain(), or review them as the explorer's own text and add them to REVIEWED: {new}"


def test_the_check_sees_a_value_from_outside() -> None:
    tree = ast.parse('st.error(f"{error}")\nst.caption(f"made {plain(made)} in {seconds:.1f} s")\nst.button(title)')
    assert unescaped(tree) == {"error", "title"}
    translated = ast.parse('st.info(_("{a} and {b}").format(a=plain(a), b=b))\nst.caption(_("Made"))\nst.write(_(x))')
    assert unescaped(translated) == {"b", "_(x)"}
