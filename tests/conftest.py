"""Shared test set-up: the repository root on sys.path, and small helpers."""

import base64
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


@pytest.fixture(scope="session")
def digits56(tmp_path_factory: pytest.TempPathFactory) -> object:
    """ResNet-56 and plain-56 trained on the digits for 400 steps (the gap is clear by then), once per test run,
    kept in a temporary folder."""
    from explorer.lesions import nets

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPLORER_RECORDINGS", str(tmp_path_factory.mktemp("recordings")))
        return nets.pair("digits-56", steps=400)


def open_page(page: str, **address: str) -> object:
    """An AppTest of the app opened on ``page`` with ``address`` as its query parameters, run once, no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.run()
    at.query_params.update(address)
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
