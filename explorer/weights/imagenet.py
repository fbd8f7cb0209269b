"""torchvision's ImageNet weights: which models have them, the local cache, and the download.

ImageNet weights live in torchvision's own cache (``torch.hub.get_dir()/checkpoints``, which
honours ``TORCH_HOME``): :func:`load_imagenet` reads them offline and :func:`download_imagenet`
fetches them, verified against the SHA-256 prefix in the file name, for users who are online.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO
from urllib.error import URLError
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import ResNet50_Weights, WeightsEnum, get_model_weights

from explorer import storage
from explorer.errors import short_detail
from explorer.language import Message, lazy
from explorer.spec import ModelSpec
from explorer.weights.checkpoint import WeightsError, as_state_dict, load_checkpoint

DOWNLOAD_CHUNK_BYTES = 2**20
DOWNLOAD_TIMEOUT_S = 30.0
IMAGENET_CLASSES = 1000
_HASH_IN_NAME = re.compile(r"-([a-f0-9]*)\.")  # torch.hub's HASH_REGEX: resnet50-11ad3fa6.pth

Progress = Callable[[int, int | None], None]


def _architecture_differences(spec: ModelSpec) -> list[str]:
    """Why ``spec`` is not torchvision's architecture, in words; empty when it is."""
    if spec.family != "imagenet":
        return ["CIFAR ResNets have no torchvision weights (upload a checkpoint trained on CIFAR instead)"]
    checks = [
        (not spec.skip, "plain models have no shortcuts, so the projection weights have nowhere to go"),
        (spec.shortcut_option != "B", f"shortcut option {spec.shortcut_option} is not torchvision's option B"),
        (spec.stride_in_1x1 and spec.has_bottleneck, "the paper's 1x1-conv stride (v1) is not torchvision's v1.5"),
        (spec.preact, "pre-activation blocks order their batch norms differently"),
        (not spec.batch_norm, "a model without batch norm has no place for the batch-norm weights"),
        (spec.activation != "relu", f"the weights were trained with ReLU, not {spec.activation}"),
        (
            spec.num_classes not in (None, IMAGENET_CLASSES),
            f"the classifier has {spec.num_classes} classes, not ImageNet's {IMAGENET_CLASSES}",
        ),
    ]
    return [reason for applies, reason in checks if applies]


def imagenet_weights(spec: ModelSpec) -> WeightsEnum | None:
    """torchvision's DEFAULT ImageNet weights (a ``WeightsEnum`` member) for ``spec``, or None when it has none.

    Only a spec that describes exactly torchvision's architecture has them: an ImageNet model
    with shortcuts, option B, v1.5 strides, post-activation ReLU blocks with batch norm and a
    1000-class head. :func:`imagenet_unavailable_reason` says why in words otherwise.
    """
    if _architecture_differences(spec):
        return None
    return get_model_weights(spec.name).DEFAULT


def imagenet_unavailable_reason(spec: ModelSpec) -> str | None:
    """A sentence saying why ``spec`` has no ImageNet weights, or None when it has them."""
    differences = _architecture_differences(spec)
    if not differences:
        return None
    return f"ImageNet weights exist only for the torchvision architecture: {'; '.join(differences)}."


def cache_path(weights: WeightsEnum) -> Path:
    """The file torchvision's cache keeps ``weights`` (a ``WeightsEnum`` member) in, as ``torch.hub`` names it."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(weights.url).path)


def is_cached(spec: ModelSpec) -> bool:
    """Whether ``spec`` has ImageNet weights and their file is in the local cache."""
    weights = imagenet_weights(spec)
    return weights is not None and cache_path(weights).is_file()


def _require_imagenet_weights(spec: ModelSpec) -> WeightsEnum:
    """The spec's ImageNet weights; raises WeightsError (with the reason) when there are none."""
    weights = imagenet_weights(spec)
    if weights is None:
        raise WeightsError(f"{spec.label} has no ImageNet weights. {imagenet_unavailable_reason(spec)}")
    return weights


def load_imagenet(model: nn.Module, spec: ModelSpec) -> Message:
    """Load the cached ImageNet weights of ``spec`` into ``model``; return the label saying which weights these are.

    Never downloads: raises WeightsError when the file is not in the cache, is unreadable or
    does not fit the model.
    """
    weights = _require_imagenet_weights(spec)
    path = cache_path(weights)
    if not path.is_file():
        raise WeightsError(
            f"ImageNet weights for {spec.label} are not in the local cache ({path}); download them from the "
            "image lab when online, or copy the file there"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any unreadable file: say so and how to recover
        raise WeightsError(
            f"The cached ImageNet weights at {path} are unreadable ({short_detail(error)}); "
            "delete the file and download it again"
        ) from error
    load_checkpoint(model, as_state_dict(state, repr(str(path))))
    return lazy("ImageNet weights: torchvision {weights} (from the local cache)", weights=str(weights))


def _expected_hash_prefix(filename: str) -> str:
    """The SHA-256 prefix a torchvision file name carries (``resnet50-11ad3fa6.pth`` → ``11ad3fa6``), else ""."""
    match = _HASH_IN_NAME.search(filename)
    return match.group(1) if match else ""


def _stream(url: str, file: BinaryIO, progress: Progress | None) -> str:
    """Copy ``url`` into ``file`` in chunks, reporting bytes done/total; return the SHA-256 hex digest."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
            file.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


def download_imagenet(spec: ModelSpec, progress: Progress | None = None, url: str | None = None) -> Path:
    """Download the ImageNet weights of ``spec`` into torchvision's cache and return the file's path.

    The file is streamed from ``url`` (default: the weights' own URL; tests pass a local one)
    into a temporary file next to its destination, checked against the SHA-256 prefix in
    its name and only then renamed into place, so the cache never holds a partial or
    corrupt file. ``progress(done, total)`` is called after each chunk (``total`` is None
    when the server does not say). Raises WeightsError when offline or on a hash mismatch.
    """
    weights = _require_imagenet_weights(spec)
    source = url or weights.url
    path = cache_path(weights)
    expected = _expected_hash_prefix(path.name)
    try:
        with storage.atomic_write(path) as file:  # nothing lands in the cache unless it is complete and verified
            try:
                digest = _stream(source, file, progress)
            except (URLError, HTTPException, OSError) as error:
                raise WeightsError(
                    f"Could not download ImageNet weights for {spec.label} from {source} (offline?): "
                    f"{short_detail(error)}; try again when online, or copy {path.name} to {path.parent}"
                ) from error
            if not digest.startswith(expected):
                raise WeightsError(
                    f"The download from {source} is corrupt: its SHA-256 starts {digest[: len(expected)]}, not "
                    f"{expected} as its name says; nothing was saved, try again"
                )
    except OSError as error:
        raise WeightsError(
            f"Cannot write to the weights cache {path.parent} ({short_detail(error)}); "
            "set TORCH_HOME to a writable folder"
        ) from error
    return path


def class_names(spec: ModelSpec, num_classes: int) -> list[str]:
    """ImageNet's category names for a 1000-class ImageNet-family model, else ``class 0``, ``class 1``, …."""
    if spec.family == "imagenet" and num_classes == IMAGENET_CLASSES:
        return list(ResNet50_Weights.DEFAULT.meta["categories"])
    return [f"class {i}" for i in range(num_classes)]
