"""What is kept on disk: one atomic writer that replicas sharing a folder can use at once, keys that hold the
code's version, and a folder that cannot be written said on the page and in the log, not silently."""

import json
import logging
import threading
from pathlib import Path

import pytest

from explorer import recordings, storage
from explorer.weights import digits
from tests.conftest import open_page


def test_writers_of_one_file_at_once_never_leave_half_a_file(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "curve.json"
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def replica(i: int) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                storage.write(target, json.dumps({"replica": i, "values": list(range(5000))}))
                assert json.loads(target.read_text())["values"][-1] == 4999  # always a whole file
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:1]
    assert [p.name for p in target.parent.iterdir()] == ["curve.json"]  # no temporary file left behind


def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "net.pt"
    with pytest.raises(RuntimeError), storage.atomic_write(target) as file:
        file.write(b"half")
        raise RuntimeError("the disk is full")
    assert list(tmp_path.iterdir()) == []


def test_every_kept_file_is_keyed_by_the_code_version(recordings_folder: Path, monkeypatch) -> None:
    recipe = digits.DigitsRecipe(20, 2)
    recordings.save("degradation", {"steps": 2}, {"curves": []}, "CPU")
    before = (recordings.kept_path("degradation", {"steps": 2}), digits.kept_path(recipe, True))
    assert before[0].is_file() and json.loads(before[0].read_text())["code"] == storage.code_version()
    monkeypatch.setattr(storage, "code_version", lambda: "another-version")
    after = (recordings.kept_path("degradation", {"steps": 2}), digits.kept_path(recipe, True))
    assert after[0] != before[0] and after[1] != before[1]
    assert recordings.load("degradation", {"steps": 2}, dict) is None  # what an older version kept is not read


def test_a_folder_that_cannot_be_written_is_said_on_every_page_and_in_the_log(tmp_path: Path, monkeypatch,
                                                                              caplog) -> None:  # fmt: skip
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(blocked / "recordings"))
    with caplog.at_level(logging.WARNING, logger="explorer.storage"):
        assert not storage.keep(recordings.folder() / "x.json", lambda file: file.write(b"{}"))
        assert recordings.unwritable() is not None
    assert any("cannot keep results in" in r.getMessage() for r in caplog.records)
    at = open_page("pages/4_Gradient_lab.py")
    assert any("cannot be written" in w.value and "computed again" in w.value for w in at.warning)
    saved = recordings.save("live-run", {"steps": 1}, {"records": []}, "CPU")  # the page goes on, unsaved
    assert saved.results == {"records": []} and recordings.load("live-run", {"steps": 1}, dict) is None


def test_a_writable_folder_says_nothing(recordings_folder: Path) -> None:
    assert recordings.unwritable() is None
    at = open_page("pages/1_Architecture.py")
    assert not any("cannot be written" in w.value for w in at.warning)
    assert recordings_folder.is_dir() and not list(recordings_folder.iterdir())  # checked by writing, and tidied


GOOD = {"loss": [2.3, 1.1], "accuracy": [0.1, 0.6]}
PLANTED = {
    "a list": "[]",
    "a text": '"hello"',
    "no date": json.dumps({"kind": "degradation", "settings": {"steps": 3}, "device": "CPU", "code": "x",
                           "results": {"plain-20": GOOD}}),
    "results of another type": json.dumps({"kind": "degradation", "settings": {"steps": 3}, "made": "now",
                                           "device": "CPU", "code": "x", "results": {"plain-20": {"loss": "a",
                                           "accuracy": [0.1]}}}),
    "100k nested brackets": "[" * 100_000 + "]" * 100_000,
    "a megabyte of date": json.dumps({"kind": "degradation", "settings": {"steps": 3}, "made": "x" * 2**20,
                                      "device": "CPU", "code": "x", "results": {"plain-20": GOOD}}),
}  # fmt: skip


@pytest.mark.parametrize("planted", PLANTED, ids=list(PLANTED))
def test_a_planted_recording_is_logged_set_aside_and_made_again(
    planted: str, recordings_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from explorer import gradlab

    path = recordings.kept_path("degradation", {"steps": 3})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PLANTED[planted])
    with caplog.at_level(logging.WARNING, logger="explorer.recordings"):
        assert recordings.load("degradation", {"steps": 3}, gradlab.CURVES_SHAPE) is None
    assert "set aside" in caplog.text and not path.exists()
    assert [p.name.startswith(f"{path.name}.bad-") for p in path.parent.iterdir()] == [True]
    made = recordings.save("degradation", {"steps": 3}, {"plain-20": GOOD}, "CPU")  # made again, and read back
    assert recordings.load("degradation", {"steps": 3}, gradlab.CURVES_SHAPE) == made


def test_the_gradient_lab_opens_beside_a_planted_recording_of_its_run(
    recordings_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, dict]] = []
    load = recordings.load
    monkeypatch.setattr(recordings, "load", lambda kind, settings, shape: asked.append((kind, settings)))
    open_page("pages/4_Gradient_lab.py")  # which recordings the page reads when it opens
    monkeypatch.setattr(recordings, "load", load)
    for kind, settings in asked:
        path = recordings.kept_path(kind, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"kind": kind, "settings": settings, "made": "[x](//ev.il)", "device": "CPU",
                                    "code": "x", "results": {"records": [{"step": "one"}]}}))  # fmt: skip
    assert asked
    open_page("pages/4_Gradient_lab.py")  # no exception on the page (open_page checks)
