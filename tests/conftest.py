"""Shared test set-up: the repository root on sys.path, and small helpers."""

import base64
import fcntl
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = tuple(f"pages/{path.name}" for path in sorted((ROOT / "pages").glob("*.py")))  # every page of the app
# One thread for torch's operators, here and in the servers and scripts the tests start. The tests run torch from
# several threads (sessions, job workers, AppTest's script runner) and in parallel workers; every thread that runs an
# operator on several threads keeps an OpenMP team of its own spinning between operators, and two such teams on two
# cores made every small convolution about 2.6 times slower (measured here). Parallel workers use the other core.
os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``--dist loadgroup`` on a pytest whose node ids pytest-xdist 3.8 cannot mark with a group (9.2 and
    later, xdist issue 1386): the marks would be ignored without a word, and grouped tests would each start their own
    servers and train their own nets."""
    version = tuple(int(part) for part in pytest.__version__.split(".")[:2])
    if getattr(config.option, "dist", "no") == "loadgroup" and version >= (9, 2):
        raise pytest.UsageError(
            f"--dist loadgroup ignores xdist_group on pytest {pytest.__version__} (pytest-xdist "
            "issue 1386): install the pytest pinned in requirements-dev.txt"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests are handed out first (pytest-xdist hands out groups of many tests first, then the others in
    collection order): they take minutes, mostly waiting for pages, and started last, the balancer tests made the
    tail of a parallel run (measured: the replicas test finished a minute after every other test)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is None)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torchvision cache, so a test never sees (or writes) the real one; torch.hub's setting is restored."""
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    return tmp_path / "torch-home"


@pytest.fixture
def recordings_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty recordings folder (``EXPLORER_RECORDINGS``): a test never sees or writes the real one."""
    monkeypatch.setenv("EXPLORER_RECORDINGS", str(tmp_path / "recordings"))
    return tmp_path / "recordings"


def _digits56_pair(factory: pytest.TempPathFactory, name: str, steps: int) -> object:
    """ResNet-56 and plain-56 trained on the digits for ``steps`` steps, once per test
    run: kept in the temporary folder ``name`` that every worker of a parallel run shares (the first to ask trains
    them, under a file lock, the others load what it kept, as replicas do)."""
    from explorer.lesions import nets

    shared = factory.getbasetemp().parent if "PYTEST_XDIST_WORKER" in os.environ else None
    folder = (shared or factory.getbasetemp()) / name
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch, open(folder / ".lock", "w") as lock:
        patch.setenv("EXPLORER_RECORDINGS", str(folder))
        fcntl.flock(lock, fcntl.LOCK_EX)
        return nets.pair("digits-56", steps=steps)


@pytest.fixture(scope="session")
def digits56(tmp_path_factory: pytest.TempPathFactory) -> object:
    """ResNet-56 and plain-56 trained on the digits for 200 steps (measured: the residual net is at 2.5 % error, the
    plain one at 78 %, and every lesion, landscape and path figure the tests check is as at 400)."""
    return _digits56_pair(tmp_path_factory, "digits56-recordings", steps=200)


@pytest.fixture(scope="session")
def digits56_as_taught(tmp_path_factory: pytest.TempPathFactory) -> object:
    """ResNet-56 and plain-56 trained on the digits as the pages train them (800 steps: what a class sees; about 2-3
    minutes on one core)."""
    from explorer.lesions.nets import DIGITS_STEPS

    return _digits56_pair(tmp_path_factory, "digits56-taught-recordings", steps=DIGITS_STEPS)


@dataclass(frozen=True)
class DegradationDemo:
    """The gradient lab's degradation demo at 100 steps as the page ran it on a click: the page after the click,
    the recordings folder it wrote, and the curves it recorded."""

    page: object
    folder: Path
    curves: dict


@pytest.fixture(scope="session")
def degradation_demo_clicked(tmp_path_factory: pytest.TempPathFactory) -> DegradationDemo:
    """The degradation demo trained once per worker (four nets, 100 steps: the slowest page action the tests click):
    the tests that use it share the ``degradation`` xdist group, so a parallel run trains it once."""
    from explorer import gradlab, recordings

    folder = tmp_path_factory.mktemp("degradation") / "recordings"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPLORER_RECORDINGS", str(folder))
        at = open_page("pages/4_Gradient_lab.py")
        at.select_slider(key="widget.demo_steps").set_value(100).run()
        at.button(key="grad.demo").click().run()
        recording = recordings.load(
            "degradation", {"steps": 100, "seed": 0, "depths": list(gradlab.DEMO_DEPTHS)}, gradlab.CURVES_SHAPE
        )
    assert recording is not None, "the demo was not recorded"
    return DegradationDemo(at, folder, gradlab.curves_from_results(recording.results))


def open_page(page: str, **address: str) -> object:
    """An AppTest of the app opened on ``page`` (``Home.py`` or one of ``pages/``) with ``address`` as its query
    parameters, run, with no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.query_params.update(address)  # as a browser opening that address: the first run already sees it
    at.run()
    if page != "Home.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def devices() -> list[str]:
    """Every kind of device present here (the CPU always): tests that move models run on each."""
    from explorer.device import available_devices

    return [device.type for device in available_devices()]


def csv_lines(text: str, **details: str) -> list[str]:
    """The lines of an exported CSV after its provenance header, which must say what made it (``details``)."""
    lines = text.splitlines()
    header = [line for line in lines if line.startswith("# ")]
    assert header[0] == "# ResNet Explorer export" and header[1].startswith("# made: 20"), header
    for key, value in details.items():
        assert f"# {key}: {value}" in header, (key, header)
    return [line for line in lines if not line.startswith("# ")]


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that escapes its special characters (the app escapes user input)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown_tables(at: object) -> list[object]:
    """Every ``st.table`` of an AppTest run as the reader sees it: a DataFrame with the Markdown escapes undone."""
    return [element.value.rename(columns=shown).map(lambda cell: shown(str(cell))) for element in at.table]


def decode_plotly(value: object) -> object:
    """Plotly >= 6 writes arrays as {"dtype", "bdata", "shape"} blobs: turn them back into lists."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: decode_plotly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_plotly(v) for v in value]
    return value
