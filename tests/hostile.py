"""Checkpoint files built to break a server: each is ``(name, bytes, words of the one-line refusal)``.

Shared by the unit tests of ``explorer.weights``, the image lab's AppTest and the CLI tests, so the
same hostile inputs are tried at every entry point.
"""

import io
import struct
import warnings
import zipfile

import torch

from explorer.spec import ModelSpec


def saved(obj: object, **options: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **options)
    return buffer.getvalue()


def cifar20_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return ModelSpec("cifar_resnet20").build().state_dict()


def zipped(entries: dict[str, bytes], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_declared_size(data: bytes, size: int) -> bytes:
    """A zip archive whose first central-directory entry claims ``size`` uncompressed bytes."""
    at = data.index(b"PK\x01\x02") + 24  # the uncompressed-size field of the central directory header
    return data[:at] + struct.pack("<I", size) + data[at + 4 :]


def quantized() -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # quantized tensors are deprecated, and still loadable
        return torch.quantize_per_tensor(torch.rand(3), 0.1, 0, torch.qint8)


def with_tensor(key: str, tensor: torch.Tensor) -> bytes:
    return saved({**cifar20_state(), key: tensor})


def diverged() -> bytes:
    state = cifar20_state()
    state["fc.weight"][0, 0] = float("nan")
    state["layer1.0.conv1.weight"][0, 0, 0, 0] = float("inf")
    return saved(state)


def hostile_checkpoints() -> list[tuple[str, bytes, str]]:
    """Every hostile or broken checkpoint the explorer is tested with, and what its refusal says."""
    return [
        ("bomb.pth", zipped({"archive/data/0": bytes(20 * 2**20)}, zipfile.ZIP_DEFLATED), "holds compressed entries"),
        ("declares-2GB.pth", with_declared_size(saved(cifar20_state()), 2**31 - 1), "declares 2049 MB of contents"),
        ("sparse.pth", with_tensor("fc.weight", torch.eye(3).to_sparse()), "as a sparse_coo tensor"),
        ("quantized.pth", with_tensor("fc.weight", quantized()), "as a quantized tensor"),
        ("expanded.pth", with_tensor("fc.weight", torch.zeros(1).expand(10_000)), "not laid out densely"),
        ("diverged.pth", diverged(), "NaN or infinite values in 2 tensors"),
        ("legacy.pth", saved(cifar20_state(), _use_new_zipfile_serialization=False), "legacy format"),
        ("garbage.pth", b"\xff\xfe garbage " * 1000, "neither a PyTorch checkpoint"),
    ]
