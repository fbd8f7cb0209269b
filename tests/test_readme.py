"""Every example in README.md runs as written: the command lines through ``main()``, the Python with doctest.

They run from a temporary folder that holds the repository's ``explorer`` and ``models`` (so the
relative paths work and the outputs land there), with a temporary torchvision cache that holds a
seeded stand-in for the ResNet-50 ImageNet file (nothing is downloaded). ``train``, ``score``, ``lesion``,
``paths``, ``landscape``, ``receptive`` and ``transfer`` are shortened, and say so below; digits nets they train go
to a temporary folder.
"""

import doctest
import re
import shlex
from pathlib import Path

import pytest
import torch
import torchvision

from explorer import ModelSpec
from explorer.cli import main
from explorer.weights import imagenet
from tests.conftest import ROOT

README = ROOT / "README.md"
PREFIX = ".venv/bin/python -m explorer "
NOT_RUN_HERE = {  # run until stopped (the browser and replica tests run them), or need the internet
    "serve": "tests/test_browser.py", "replicas": "tests/test_replicas.py", "weights download": "tests/test_cli.py",
}  # fmt: skip
SHORTER = {  # the README's long runs, cut to seconds (later flags override earlier ones)
    "train": ["--steps", "2", "--train-images", "64", "--test-images", "20"],
    "score": ["--images", "5"],
    "lesion": ["--draws", "1", "--train-steps", "2"],
    "paths": ["--samples", "2", "--images", "4", "--train-steps", "2"],
    "landscape": ["--images", "4", "--resolution", "11"],
    "transfer": ["--epochs", "1", "--train-images", "64"],
    "receptive": ["--images", "2"],
}


def command_lines() -> list[str]:
    """The ``python -m explorer`` lines of the README's bash blocks, without their comments."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.startswith(PREFIX)]


@pytest.fixture
def readme_folder(tmp_path: Path, torch_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("explorer", "models"):
        (tmp_path / name).symlink_to(ROOT / name)
    member = imagenet.imagenet_weights(ModelSpec("resnet50"))
    path = imagenet.cache_path(member)
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet50().state_dict(), path)
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "recordings"))  # digits nets trained here stay here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_examples() -> None:
    commands = {line.removeprefix(PREFIX).split()[0] for line in command_lines()}
    assert commands == {"stages", "compare", "models", "explain", "train", "score", "gradlab", "lesion",
                        "paths", "landscape", "receptive", "variants", "transfer", "weights", "nginx-config", "serve",
                        "replicas"}  # fmt: skip


def run_here(line: str) -> bool:
    return not any(line.removeprefix(PREFIX).startswith(command) for command in NOT_RUN_HERE)


def test_the_examples_not_run_here_are_the_known_ones() -> None:
    skipped = {next(c for c in NOT_RUN_HERE if line.removeprefix(PREFIX).startswith(c)) for line in command_lines()
               if not run_here(line)}  # fmt: skip
    assert skipped == set(NOT_RUN_HERE)


@pytest.mark.parametrize("line", [line for line in command_lines() if run_here(line)])
def test_command_line_example(line: str, readme_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(line.removeprefix(PREFIX))
    argv += SHORTER.get(argv[0], [])
    assert main(argv) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip()
    if "--out" in argv:
        assert any((readme_folder / argv[argv.index("--out") + 1]).iterdir())


def test_python_examples(readme_folder: Path) -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 15 and result.failed == 0, result
