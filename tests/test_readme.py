"""Every example in README.md runs, and prints what it is for: the command lines through ``main()``, the Python
with doctest.

They run from a temporary folder that holds the repository's ``explorer`` and ``models`` (so the relative paths
work and the outputs land there), with a temporary torchvision cache that holds a seeded stand-in for the ResNet-50
ImageNet file (nothing is downloaded). The long runs (``train``, ``score``, ``gradlab``, ``lesion``, ``paths``,
``landscape``, ``receptive`` and ``transfer``) are shortened by the flags in :data:`SHORTER`, as README.md says;
every line's output must hold what :data:`SHOWS` says it shows, so a command that runs but prints the wrong thing
fails.
"""

import doctest
import json
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
    "lesion": ["--draws", "1", "--train-steps", "2", "--images", "200"],
    "paths": ["--samples", "2", "--images", "4", "--train-steps", "2"],
    "landscape": ["--images", "4"],
    "transfer": ["--epochs", "1", "--train-images", "64"],
    "receptive": ["--images", "2"],
    "gradlab": ["--image-size", "8"],
}
SHOWS: dict[str, list[str]] = {  # what each README line prints (for --json lines: what its JSON holds)
    "stages resnet50": ["ResNet-50 at 224×224", "25,557,032", "4.089G", "4 dashed (projection), 12 solid (identity)"],
    "stages resnet50 --paper-stride": ["bottleneck stride on the first 1×1 conv (paper, v1)", "3.858G"],
    "stages cifar_resnet56 --plain --json": ['"label": "plain-56 (CIFAR)"', '"params": 853018', '"depth": 56'],
    "stages resnet18 --input-size 448 --shortcut C --preact": ["ResNet-18 (pre-activation, option C) at 448×448",
                                                               "8 dashed (projection)", "BN-act, global average pool"],
    "compare": ["ResNet-152", "11,689,512", "60,192,808", "1.814G", "11.514G"],
    "compare cifar_resnet20 cifar_resnet110": ["269,722", "1,727,962", "[3×3, 16; 3×3, 16] × 18"],
    "models": ["resnet152", "resnext101_32x8d", "cifar_resnet110"],
    "explain explorer/samples/cat.jpg --out maps/": [
        "ResNet-50 with ImageNet weights: torchvision", "explaining:",
        "16 Grad-CAM overlays, blocks.csv and summary.json"],
    "explain explorer/samples/cat.jpg --weights random --target tabby --out maps/ --json": [
        '"name": "tabby"', '"trained": false', '"paper_name": "conv5_3"'],
    "explain explorer/samples/rocket.jpg --model cifar_resnet20 --weights shapes --out maps/": [
        "Shapes-trained ResNet-20", "9 Grad-CAM overlays"],
    "explain explorer/samples/coffee.jpg --model cifar_resnet20 --weights models/checkpoints/shapes_plain20.pt "
    "--out maps/": ["Checkpoint shapes_plain20.pt", "9 Grad-CAM overlays"],
    "train --out my_models/": ["ResNet-20 (CIFAR): test accuracy", "plain-20 (CIFAR): test accuracy",
                               "my_models/shapes_plain20.pt"],
    "score --images 500": ["Grad-CAM of the true class, 5 test images per model", "conv4_3",
                           "plain-20 (CIFAR) pointing"],
    "gradlab --depth 56 --plain --no-bn --activation sigmoid --init xavier": [
        "plain-56, sigmoid, xavier init, no BN", "layer3.8"],
    "gradlab --depth 20 --data shapes --steps 50 --json": ['"data": "shapes"', '"steps": 50'],
    "lesion --delete conv3_1,conv3_2": ["deleted: conv3_1, conv3_2", "error with the blocks deleted",
                                        "the first 200 of 1,000 held-out Shapes images"],
    "lesion --nets digits-56 --json": ['"nets": "digits-56"', '"test": "the first 200 of 400 held-out digits',
                                       '"ResNet-56"'],
    "lesion --swap --draws 3": ["swaps  ResNet-20 error  plain-20 error", "(chance 83%), 1 draws"],
    "paths --nets digits-56": ["ResNet-56 (27 blocks, 2^27 paths", "half of the gradient comes from paths of length"],
    "landscape --nets shapes-20": ["ResNet-20:", "at the trained weights", "+0.00"],
    "landscape --plane --resolution 21 --json": ['"kind": "plane"', '"resolution": 21', '"plain-20"'],
    "receptive resnet18": ["ResNet-18 at 224×224", "conv5_2  435×435"],
    "receptive --effective shapes-20 --images 4": ["Shapes-trained: ResNet-20 vs plain-20, 2 images at 64×64",
                                                   "conv4_3  81"],
    "variants shapes-resnet20 shapes-plain20 untrained-resnet56 --image sample:rocket": [
        "ResNet-20 · Shapes-trained", "plain-20 · Shapes-trained", "ResNet-56 · untrained", "125.49M"],
    "transfer --without-normalisation": ["ResNet-20 · Shapes-trained → handwritten digits", "without the normalisation",
                                         "from scratch (random initialisation)"],
    "transfer --target shapes-recoloured --runs head,scratch --export finetuned/ --json": [
        '"source": "shapes-resnet20"', '"choice": "scratch"'],
    "lesson": ["2_table1_and_the_shortcut  Table 1 and the shortcut (5 steps)", "Why shortcuts help (4 steps)"],
    "lesson explorer/lessons/shipped/2_table1_and_the_shortcut.toml": [
        "Table 1 and the shortcut: 5 steps, every one checked against the pages",
        "2. Architecture: The plain twin: the same layers without shortcuts  ?imagenet_model=resnet34&skip=0",
        "question (number, answered by architecture.projection_parameters)"],
    "weights list": ["torchvision's cache:", "resnet50-11ad3fa6.pth", "(1 of 9 cached)"],
    "nginx-config explorer1:8501 explorer2:8501": ["server explorer1:8501", "server explorer2:8501",
                                                  "hash $explorer_affinity consistent"],
}  # fmt: skip


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
                        "paths", "landscape", "receptive", "variants", "transfer", "lesson", "weights", "nginx-config",
                        "serve", "replicas"}  # fmt: skip


def run_here(line: str) -> bool:
    return not any(line.removeprefix(PREFIX).startswith(command) for command in NOT_RUN_HERE)


def test_the_examples_not_run_here_are_the_known_ones() -> None:
    skipped = {next(c for c in NOT_RUN_HERE if line.removeprefix(PREFIX).startswith(c)) for line in command_lines()
               if not run_here(line)}  # fmt: skip
    assert skipped == set(NOT_RUN_HERE)


def test_every_line_says_what_it_shows() -> None:
    run = {line.removeprefix(PREFIX) for line in command_lines() if run_here(line)}
    assert run == set(SHOWS), (run - set(SHOWS), set(SHOWS) - run)


@pytest.mark.parametrize("line", [line for line in command_lines() if run_here(line)])
def test_command_line_example(line: str, readme_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(line.removeprefix(PREFIX))
    argv += SHORTER.get(argv[0], [])
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    if "--json" in argv:
        json.loads(out)  # one valid JSON document
    for shown in SHOWS[line.removeprefix(PREFIX)]:
        assert shown in out, (shown, out[:2000])
    if "--out" in argv:
        assert any((readme_folder / argv[argv.index("--out") + 1]).iterdir())


def test_python_examples(readme_folder: Path) -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 15 and result.failed == 0, result
