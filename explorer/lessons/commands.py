"""The lessons' command: ``lesson`` (the shipped lessons, or a lesson file checked and outlined)."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlencode

from explorer.commandline import to_json
from explorer.lessons.lesson import Lesson, Question, load_lesson, shipped_lessons


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``lesson`` to the command parsers."""
    parser = commands.add_parser("lesson", help="the shipped lessons, or check a lesson file and outline its steps")
    parser.add_argument("file", nargs="?", type=Path, help="a lesson file (TOML); without it, the shipped lessons")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=_lesson)


def outline(lesson: Lesson) -> list[dict[str, object]]:
    """Each step of ``lesson``: its title, page, the address its settings open and its question, if any."""
    return [
        {
            "step": number,
            "title": str(step.title),
            "page": step.page,
            "address": urlencode(step.address()),
            "question": None if step.question is None else _question(step.question),
        }
        for number, step in enumerate(lesson.steps, 1)
    ]


def _lesson(args: argparse.Namespace) -> str:
    if args.file is None:
        lessons = shipped_lessons()
        if args.json:
            return to_json(
                {name: {"title": str(lesson.title), "steps": len(lesson.steps)} for name, lesson in lessons.items()}
            )
        return "\n".join(f"{name}  {lesson.title} ({len(lesson.steps)} steps)" for name, lesson in lessons.items())
    lesson = load_lesson(args.file)  # a LessonError (one line, naming the step and the field) when it cannot be used
    steps = outline(lesson)
    if args.json:
        return to_json(
            {"title": str(lesson.title), "summary": str(lesson.summary), "steps": steps,
             "languages": list(lesson.languages()), "untranslated": lesson.untranslated()}
        )  # fmt: skip
    lines = [f"{lesson.title}: {len(steps)} steps, every one checked against the pages"]
    for step in steps:
        address = f"  ?{step['address']}" if step["address"] else ""
        lines.append(f"{step['step']:>3}. {step['page']}: {step['title']}{address}")
        if step["question"] is not None:
            lines.append(f"     question ({step['question']['kind']}, answered by {step['question']['answer']})")
    lines += [f"warning: {missing}" for missing in lesson.untranslated()]
    return "\n".join(lines)


def _question(question: Question) -> dict[str, object]:
    return {"text": str(question.text), "kind": question.kind, "choices": list(question.choices),
            "answer": question.answer}  # fmt: skip
