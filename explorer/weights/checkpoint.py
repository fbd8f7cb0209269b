"""Checkpoint files: the bytes of an upload as a state dict, and why a state dict does not fit a model.

:func:`read_checkpoint` turns the bytes of an upload into a state dict with
``torch.load(..., weights_only=True)``, so a file is never allowed to unpickle arbitrary Python
objects, and :func:`diff_state_dict` says, key by key, why a checkpoint does not fit a model.
Every failure is a :class:`WeightsError` whose one-line message says what to do.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

import safetensors.torch
import torch
from safetensors import SafetensorError
from torch import nn

from explorer.errors import UserError, short_detail
from explorer.language import _, ngettext

MAX_CHECKPOINT_BYTES = 600 * 2**20  # the largest variant, Wide ResNet-101-2, saves 484 MiB
CONTAINER_KEYS: tuple[str, ...] = ("state_dict", "model", "model_state_dict")
DATA_PARALLEL_PREFIX = "module."
BATCH_COUNTER = "num_batches_tracked"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ARCHIVE_ENTRIES = 100_000


class WeightsError(UserError):
    """Weights that cannot be used; the message says why and what to do, on one line."""


def _refusal_or_corruption(error: Exception, filename: str) -> WeightsError:
    """The message for a zip archive ``torch.load(weights_only=True)`` could not read."""
    if isinstance(error, pickle.UnpicklingError) and "GLOBAL" in str(error):
        return WeightsError(
            _(
                "{file} was refused: the file contains Python objects other than tensors (it would need unrestricted "
                "unpickling, which could run code); save model.state_dict() and upload that"
            ).format(file=filename)
        )
    return WeightsError(
        _(
            "{file} is a zip archive but not a readable PyTorch checkpoint; save model.state_dict() with torch.save "
            "and upload that"
        ).format(file=filename)
    )


def _unwrap(state: object) -> object:
    """The state dict inside a common container ({"state_dict": …}, {"model": …}, {"model_state_dict": …})."""
    if isinstance(state, Mapping):
        for key in CONTAINER_KEYS:
            if isinstance(state.get(key), Mapping):
                return state[key]
    return state


def _is_counter(key: str, value: torch.Tensor) -> bool:
    """Batch norm's ``num_batches_tracked``: the one integer tensor a state dict holds."""
    return key.endswith(BATCH_COUNTER) and value.numel() == 1 and not value.dtype.is_floating_point


def _unusable(key: str, value: torch.Tensor) -> str | None:
    """What is wrong with one tensor, or None for a dense strided floating-point one (or a batch-norm counter).

    Dense means its storage really holds every element: no sparse, quantized or expanded views.
    """
    if value.layout != torch.strided:
        return _("a {kind} tensor").format(kind=str(value.layout).removeprefix("torch."))
    if value.is_quantized:
        return _("a quantized tensor")
    if not (value.dtype.is_floating_point or _is_counter(key, value)) or value.is_complex():
        return _("a {kind} tensor").format(kind=str(value.dtype).removeprefix("torch."))
    laid_out = value.is_contiguous() or (value.dim() == 4 and value.is_contiguous(memory_format=torch.channels_last))
    needed = (value.storage_offset() + value.numel()) * value.element_size()
    if not laid_out or value.untyped_storage().nbytes() < needed:
        return _("a view that is not laid out densely in its storage")
    return None


def _check_tensors(state: Mapping[str, torch.Tensor], filename: str) -> None:
    """Refuse anything but dense strided floating-point tensors (and batch-norm counters), and NaN or infinity."""
    for key, value in state.items():
        if problem := _unusable(key, value):
            raise WeightsError(
                _(
                    "{file} holds {key} as {problem}; only dense floating-point weights are accepted: save "
                    "model.float().state_dict() and upload that"
                ).format(file=filename, key=repr(key), problem=problem)
            )
    broken = [key for key, value in state.items() if value.dtype.is_floating_point and not torch.isfinite(value).all()]
    if broken:
        listed = ", ".join(broken[:3]) + (
            _(" and {count} more").format(count=len(broken) - 3) if len(broken) > 3 else ""
        )
        raise WeightsError(
            ngettext(
                "{file} holds NaN or infinite values in {count} tensor ({listed}): these are not usable weights (a "
                "diverged run?); choose another file",
                "{file} holds NaN or infinite values in {count} tensors ({listed}): these are not usable weights (a "
                "diverged run?); choose another file",
                len(broken),
            ).format(file=filename, count=len(broken), listed=listed)
        )


def as_state_dict(state: object, filename: str) -> dict[str, torch.Tensor]:
    """``state`` (unwrapped, without DataParallel's ``module.``) as a mapping of str → Tensor, or WeightsError.

    Only dense strided floating-point tensors with finite values are accepted (and batch norm's
    integer ``num_batches_tracked``).
    """
    state = _unwrap(state)
    if not isinstance(state, Mapping):
        raise WeightsError(
            _(
                "{file} holds type {kind}, not a state dict (a mapping of parameter names to tensors); save "
                "model.state_dict() and upload that"
            ).format(file=filename, kind=type(state).__name__)
        )
    if not state:
        raise WeightsError(_("{file} holds no tensors; save model.state_dict() and upload that").format(file=filename))
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise WeightsError(
                _(
                    "{file} is not a state dict: entry {key} is not a tensor ({kind}); save model.state_dict() and "
                    "upload that"
                ).format(file=filename, key=repr(key), kind=type(value).__name__)
            )
    _check_tensors(state, filename)
    if all(key.startswith(DATA_PARALLEL_PREFIX) for key in state):
        return {key.removeprefix(DATA_PARALLEL_PREFIX): value for key, value in state.items()}
    return dict(state)


def _format_of(data: bytes) -> str:
    """``zip`` (torch.save), ``safetensors``, ``legacy`` (torch.save before PyTorch 1.6) or ``unknown``, by content."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if len(data) > 8 and data[8:9] == b"{" and 2 <= int.from_bytes(data[:8], "little") <= len(data) - 8:
        return "safetensors"
    if data[:1] == b"\x80":  # a pickle protocol mark: torch.save before the zip format
        return "legacy"
    return "unknown"


def inspect_archive(data: bytes, filename: str) -> None:
    """Check a torch.save zip archive before anything is unpacked; raise WeightsError where it is unsafe.

    torch.save stores every entry uncompressed, so an entry that is compressed, or contents that
    declare more bytes than the file holds, can only inflate memory: both are refused, as are more
    than :data:`MAX_ARCHIVE_ENTRIES` entries.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise WeightsError(
            _("{file} is a damaged zip archive ({detail}); save it again").format(
                file=filename, detail=short_detail(error)
            )
        ) from None
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise WeightsError(
            _("{file} holds {count} entries; a checkpoint needs far fewer").format(file=filename, count=len(entries))
        )
    if any(entry.compress_type != zipfile.ZIP_STORED for entry in entries):
        raise WeightsError(
            _(
                "{file} holds compressed entries, which torch.save never writes (they could unpack to far more than "
                "the upload); save the state dict with torch.save and upload that file itself, not a re-zipped one"
            ).format(file=filename)
        )
    declared = sum(entry.file_size for entry in entries)
    if declared > len(data) or any(entry.header_offset + entry.file_size > len(data) for entry in entries):
        raise WeightsError(
            _(
                "{file} declares {declared} MB of contents in a {size} MB file; it is damaged or crafted, choose "
                "another file"
            ).format(file=filename, declared=f"{declared / 2**20:.0f}", size=f"{len(data) / 2**20:.1f}")
        )


def read_checkpoint(data: bytes, filename: str) -> dict[str, torch.Tensor]:
    """The state dict in the bytes of an uploaded ``.pth``/``.pt`` or ``.safetensors`` file (told apart by content).

    torch.save's zip archives are inspected (:func:`inspect_archive`) and then read with
    ``weights_only=True``: a file that holds anything but tensors, containers and numbers is
    refused, never unpickled. Raises WeightsError with a one-line message for empty, too large,
    corrupt, crafted or unsuitable files.
    """
    name = repr(" ".join(filename.split()) or "checkpoint")
    if not data:
        raise WeightsError(_("{file} is empty; upload the checkpoint file again").format(file=name))
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise WeightsError(
            _("{file} is {size} MB; at most {most} MB are accepted").format(
                file=name, size=f"{len(data) / 2**20:.0f}", most=MAX_CHECKPOINT_BYTES // 2**20
            )
        )
    kind = _format_of(data)
    if kind == "safetensors":
        try:
            state = safetensors.torch.load(data)
        except SafetensorError as error:
            raise WeightsError(
                _("{file} is not a safetensors file or is corrupt ({detail})").format(
                    file=name, detail=short_detail(error)
                )
            ) from error
    elif kind == "zip":
        inspect_archive(data, name)
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as error:  # whatever a hostile or broken file raises becomes one message
            raise _refusal_or_corruption(error, name) from error
    elif kind == "legacy":
        raise WeightsError(
            _(
                "{file} is in PyTorch's legacy format (before PyTorch 1.6); load it there and save it again with "
                "torch.save, or save it as .safetensors"
            ).format(file=name)
        )
    else:
        raise WeightsError(
            _(
                "{file} is neither a PyTorch checkpoint (the zip archive torch.save writes) nor a safetensors file"
            ).format(file=name)
        )
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
            _(
                "These weights do not fit the chosen model: {differences}. Choose the model they were trained for, or "
                "another file"
            ).format(differences=". ".join(diff.summary(limit=5).splitlines()))
        )
    model.load_state_dict(state, strict=True)
