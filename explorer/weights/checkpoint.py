"""Checkpoint files: the bytes of an upload as a state dict, and why a state dict does not fit a model.

:func:`read_checkpoint` turns the bytes of an upload into a state dict with
``torch.load(..., weights_only=True)``, so a file is never allowed to unpickle arbitrary Python
objects, and :func:`diff_state_dict` says, key by key, why a checkpoint does not fit a model.
Every failure is a :class:`WeightsError` whose one-line message says what to do.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from dataclasses import dataclass

import safetensors.torch
import torch
from safetensors import SafetensorError
from torch import nn

from explorer.errors import UserError, short_detail

MAX_CHECKPOINT_BYTES = 600 * 2**20
CONTAINER_KEYS: tuple[str, ...] = ("state_dict", "model", "model_state_dict")
DATA_PARALLEL_PREFIX = "module."


class WeightsError(UserError):
    """Weights that cannot be used; the message says why and what to do, on one line."""


def _refusal_or_corruption(error: Exception, filename: str) -> WeightsError:
    """The message for a file ``torch.load(weights_only=True)`` could not read."""
    if isinstance(error, pickle.UnpicklingError) and "GLOBAL" in str(error):
        return WeightsError(
            f"{filename} was refused: the file contains Python objects other than tensors (it would need "
            "unrestricted unpickling, which could run code); save model.state_dict() and upload that"
        )
    return WeightsError(f"{filename} is not a PyTorch checkpoint or is corrupt ({short_detail(error)})")


def _unwrap(state: object) -> object:
    """The state dict inside a common container ({"state_dict": …}, {"model": …}, {"model_state_dict": …})."""
    if isinstance(state, Mapping):
        for key in CONTAINER_KEYS:
            if isinstance(state.get(key), Mapping):
                return state[key]
    return state


def as_state_dict(state: object, filename: str) -> dict[str, torch.Tensor]:
    """``state`` (unwrapped, without DataParallel's ``module.``) as a mapping of str → Tensor, or WeightsError."""
    state = _unwrap(state)
    if not isinstance(state, Mapping):
        raise WeightsError(
            f"{filename} holds type {type(state).__name__}, not a state dict (a mapping of parameter names to "
            "tensors); save model.state_dict() and upload that"
        )
    if not state:
        raise WeightsError(f"{filename} holds no tensors; save model.state_dict() and upload that")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise WeightsError(
                f"{filename} is not a state dict: entry {key!r} is not a tensor ({type(value).__name__}); "
                "save model.state_dict() and upload that"
            )
    if all(key.startswith(DATA_PARALLEL_PREFIX) for key in state):
        return {key.removeprefix(DATA_PARALLEL_PREFIX): value for key, value in state.items()}
    return dict(state)


def read_checkpoint(data: bytes, filename: str) -> dict[str, torch.Tensor]:
    """The state dict in the bytes of an uploaded ``.pth``/``.pt`` or ``.safetensors`` file.

    Pickled files are read with ``weights_only=True``: a file that holds anything but
    tensors, containers and numbers is refused, never unpickled. Raises WeightsError with a
    one-line message for empty, too large, corrupt or unsuitable files.
    """
    name = repr(" ".join(filename.split()) or "checkpoint")
    if not data:
        raise WeightsError(f"{name} is empty; upload the checkpoint file again")
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise WeightsError(
            f"{name} is {len(data) / 2**20:.0f} MB; at most {MAX_CHECKPOINT_BYTES // 2**20} MB are accepted"
        )
    if filename.lower().endswith(".safetensors"):
        try:
            state = safetensors.torch.load(data)
        except SafetensorError as error:
            raise WeightsError(f"{name} is not a safetensors file or is corrupt ({short_detail(error)})") from error
    else:
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as error:  # whatever a hostile or broken file raises becomes one message
            raise _refusal_or_corruption(error, name) from error
    return as_state_dict(state, name)


def _shape(shape: tuple[int, ...]) -> str:
    """A shape as ``10×512`` (``a scalar`` for ``()``)."""
    return "×".join(str(n) for n in shape) or "a scalar"


def _listing(count_noun: str, items: list[str], limit: int, separator: str) -> str:
    """``3 missing keys: a, b, c``, with ``… and N more`` past ``limit`` items."""
    noun = count_noun if len(items) == 1 else f"{count_noun}s"
    more = f"{separator}… and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} {noun}: {separator.join(items[:limit])}{more}"


@dataclass(frozen=True)
class KeyDiff:
    """How a state dict differs from a model's: keys it lacks, keys it adds, and tensors of another shape."""

    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]

    @property
    def ok(self) -> bool:
        """Whether the state dict loads strictly."""
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self, limit: int = 10) -> str:
        """The differences as readable lines, at most ``limit`` keys per line."""
        if self.ok:
            return "Every key of the model is in the file, with the same shape"
        shapes = [
            f"{name} is {_shape(file)} in the file, {_shape(model)} in the model"
            for name, file, model in self.mismatched
        ]
        lines = [
            *([_listing("missing key", list(self.missing), limit, ", ")] if self.missing else []),
            *([_listing("unexpected key", list(self.unexpected), limit, ", ")] if self.unexpected else []),
            *([_listing("mis-shaped key", shapes, limit, "; ")] if shapes else []),
        ]
        return "\n".join(lines)


def diff_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor]) -> KeyDiff:
    """Compare ``state`` with ``model.state_dict()``: missing, unexpected and mis-shaped keys.

    A missing ``num_batches_tracked`` is not reported: batch norm fills it in when loading
    (older checkpoints, torchvision's among them, lack it).
    """
    expected = model.state_dict()
    return KeyDiff(
        missing=tuple(k for k in expected if k not in state and not k.endswith(".num_batches_tracked")),
        unexpected=tuple(k for k in state if k not in expected),
        mismatched=tuple(
            (k, tuple(state[k].shape), tuple(v.shape))
            for k, v in expected.items()
            if k in state and state[k].shape != v.shape
        ),
    )


def load_checkpoint(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Load ``state`` into ``model`` strictly; raises WeightsError with the key diff when it does not fit."""
    diff = diff_state_dict(model, state)
    if not diff.ok:
        raise WeightsError(
            f"These weights do not fit the chosen model: {'. '.join(diff.summary(limit=5).splitlines())}. "
            "Choose the model they were trained for, or another file"
        )
    model.load_state_dict(state, strict=True)
