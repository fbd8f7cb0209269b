"""Target sets for fine-tuning: pictures (uint8, at the source's input size) with labels, split into training and
held-out images.

* ``digits``: scikit-learn's 1,797 handwritten digits (8×8, grey), enlarged; 10 classes;
* ``shapes-recoloured``: Shapes images in new colours and textures (every colour inverted, channels rotated), the
  six shape classes: the same task in another look;
* a folder, or a zip of one, with one sub-folder of images per class (the user's own).

The pictures stay uint8, so that what the source weights expect (ImageNet mean and standard deviation) is applied
at the last step, or deliberately left out (:func:`to_input`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torch import Tensor

from explorer.errors import UserError, check_range
from explorer.images import ImageError, load_image, normalise, prepare
from explorer.language import N_, Message, _, lazy, ngettext
from explorer.shapes import dataset as shapes_dataset
from explorer.shapes.shipped import shipped_models

TARGETS: dict[str, str] = {
    "digits": N_("handwritten digits (scikit-learn, 10 classes)"),
    "shapes-recoloured": N_("Shapes in new colours (inverted, channels rotated; 6 classes)"),
}
HELD_OUT = 200  # held-out images of the built-in sets
MAX_FILES = 2_000
MAX_ARCHIVE_BYTES = 100 * 2**20
MAX_CLASSES = 100
MIN_PER_CLASS = 2
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})


class TargetError(UserError):
    """A target set that cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class TargetSet:
    """Training and held-out pictures (N, S, S, 3) uint8 with labels, the class names and where they came from."""

    name: str
    train_pictures: np.ndarray
    train_labels: Tensor
    test_pictures: np.ndarray
    test_labels: Tensor
    class_names: tuple[str, ...]
    description: Message  # said where shown (built-in sets are shared by every session)

    @property
    def side(self) -> int:
        """The pictures' side in pixels."""
        return int(self.train_pictures.shape[1])

    @property
    def chance(self) -> float:
        """The accuracy of guessing a class at random."""
        return 1 / len(self.class_names)


def to_input(pictures: np.ndarray, normalised: bool = True) -> Tensor:
    """Pictures as network input: normalised with the ImageNet mean and standard deviation, as the source weights
    expect; or (``normalised=False``, the classic mistake) raw pixels scaled to 0…1."""
    if normalised:
        return normalise(pictures)
    return torch.tensor(np.asarray(pictures)).permute(0, 3, 1, 2).float().div(255.0).contiguous()


def input_statistics(pictures: np.ndarray) -> tuple[float, float, float]:
    """The mean of the pictures' raw 0…1 pixels, and the mean and standard deviation after the normalisation."""
    raw = to_input(pictures, normalised=False)
    normalised = to_input(pictures)
    return float(raw.mean()), float(normalised.mean()), float(normalised.std())


def _resized(pictures: np.ndarray, side: int) -> np.ndarray:
    if pictures.shape[1] == side:
        return pictures
    return np.stack([np.asarray(Image.fromarray(p).resize((side, side), Image.Resampling.BILINEAR)) for p in pictures])


def _split(pictures: np.ndarray, labels: np.ndarray, train_count: int, seed: int) -> tuple[np.ndarray, ...]:
    """A seeded shuffle: the last :data:`HELD_OUT` held out, ``train_count`` of the rest for training."""
    order = np.random.default_rng(seed).permutation(len(pictures))
    test, rest = order[-HELD_OUT:], order[:-HELD_OUT]
    check_range("training images", train_count, 1, len(rest))
    train = rest[:train_count]
    return pictures[train], labels[train], pictures[test], labels[test]


@lru_cache(maxsize=4)
def _digits(side: int) -> tuple[np.ndarray, np.ndarray]:
    raw = load_digits()
    grey = (raw.images / 16.0 * 255).round().astype(np.uint8)
    return _resized(np.repeat(grey[..., None], 3, axis=3), side), raw.target.astype(np.int64)


@lru_cache(maxsize=4)
def _shapes_recoloured(side: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    base = shipped_models()["shapes_resnet20"].metadata["dataset"]
    config = shapes_dataset.ShapesConfig(**{**base, "seed": base["seed"] + 7_000, "size": max(side, 32)})
    pictures, labels = shapes_dataset.arrays(config, 0, count)
    return _resized((255 - pictures)[..., [1, 2, 0]], side), labels


def built_in(name: str, side: int, train_count: int = 300, seed: int = 0) -> TargetSet:
    """The built-in target set ``name`` (one of :data:`TARGETS`) at ``side`` pixels: ``train_count`` training
    images and :data:`HELD_OUT` held out."""
    if name == "digits":
        pictures, labels = _digits(side)
        classes = tuple(map(str, range(10)))
    elif name == "shapes-recoloured":
        pictures, labels = _shapes_recoloured(side, 1_200)
        classes = shapes_dataset.CLASSES
    else:
        raise TargetError(f"target set must be one of {', '.join(TARGETS)} or a folder of your own; got {name!r}")
    train, train_labels, test, test_labels = _split(pictures, labels, train_count, seed)
    description = lazy("{target}: {train} training and {test} held-out images at {side}×{side}",
                       target=lazy(TARGETS[name]), train=len(train), test=len(test), side=side)  # fmt: skip
    return TargetSet(name, train, torch.from_numpy(train_labels), test, torch.from_numpy(test_labels), classes,
                     description)  # fmt: skip


def _folder_files(files: dict[str, bytes], source: str) -> dict[str, list[tuple[str, bytes]]]:
    """``files`` (path → bytes; a path ending in ``/`` is a folder) grouped by class folder, checked: one level of
    class folders, images only, at least two classes of at least :data:`MIN_PER_CLASS` images."""
    if not any(not path.endswith("/") for path in files):
        raise TargetError(_("{source} holds no files: it needs one folder of images per class").format(source=source))
    if len(files) > MAX_FILES:
        raise TargetError(_("{source} holds {count} files; at most {most} are accepted").format(
            source=source, count=f"{len(files):,}", most=f"{MAX_FILES:,}"))  # fmt: skip
    parts = {path: PurePosixPath(path).parts for path in files}
    nested = any(len(p) == 3 for path, p in parts.items() if not path.endswith("/"))
    if nested and len({p[0] for p in parts.values()}) == 1:  # a zip of one top folder: look inside it
        parts = {path: p[1:] for path, p in parts.items() if len(p) > 1}
    classes: dict[str, list[tuple[str, bytes]]] = {}
    for path, p in sorted(parts.items()):
        if path.endswith("/"):  # a folder: a class folder with nothing in it still counts, and is refused below
            if len(p) == 1:
                classes.setdefault(p[0], [])
            continue
        if len(p) != 2:
            raise TargetError(
                _("{path} is not inside a class folder: put each image in a folder named by its class").format(
                    path=repr(path)
                )
            )
        if PurePosixPath(p[1]).suffix.lower() not in IMAGE_SUFFIXES:
            raise TargetError(
                _("{path} is not an image file (JPEG, PNG, WebP, BMP, GIF or TIFF)").format(path=repr(path))
            )
        classes.setdefault(p[0], []).append((path, files[path]))
    if len(classes) < 2:
        raise TargetError(ngettext("{source} has {count} class folder: at least 2 classes are needed",
                                   "{source} has {count} class folders: at least 2 classes are needed",
                                   len(classes)).format(source=source, count=len(classes)))  # fmt: skip
    if len(classes) > MAX_CLASSES:
        raise TargetError(_("{source} has {count} class folders; at most {most} are accepted").format(
            source=source, count=len(classes), most=MAX_CLASSES))  # fmt: skip
    empty = [name for name, items in classes.items() if not items]
    if empty:
        raise TargetError(_("class folder {name} holds no images: remove it or add at least {least}").format(
            name=repr(empty[0]), least=MIN_PER_CLASS))  # fmt: skip
    small = [name for name, items in classes.items() if len(items) < MIN_PER_CLASS]
    if small:
        raise TargetError(_("class {name} has fewer than {least} images: each class needs at least {least} (one to "
                            "train on, one held out)").format(name=repr(small[0]), least=MIN_PER_CLASS))  # fmt: skip
    return classes


def read_archive(data: bytes, filename: str = "images.zip") -> dict[str, bytes]:
    """The files of a zip archive (path → bytes), refusing archives too large or declaring too much."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise TargetError(_("{file} is {size} MB; at most {most} MB").format(
            file=repr(filename), size=f"{len(data) / 2**20:.0f}", most=MAX_ARCHIVE_BYTES // 2**20))  # fmt: skip
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise TargetError(
            _("{file} is not a readable zip archive ({error})").format(file=repr(filename), error=error)
        ) from None
    if len(members) > MAX_FILES:
        raise TargetError(_("{source} holds {count} files; at most {most} are accepted").format(
            source=repr(filename), count=f"{len(members):,}", most=f"{MAX_FILES:,}"))  # fmt: skip
    if sum(m.file_size for m in members) > 4 * MAX_ARCHIVE_BYTES:
        raise TargetError(_("{file} unpacks to more than {most} MB: refused").format(
            file=repr(filename), most=4 * MAX_ARCHIVE_BYTES // 2**20))  # fmt: skip
    try:
        return {m.filename: b"" if m.is_dir() else archive.read(m) for m in members
                if not PurePosixPath(m.filename).name.startswith(".")}  # fmt: skip
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as error:
        raise TargetError(
            _("{file} could not be unpacked ({error})").format(file=repr(filename), error=error)
        ) from None


def read_folder(folder: Path) -> dict[str, bytes]:
    """The files under ``folder`` (relative path → bytes), refusing folders too large."""
    if not folder.is_dir():
        raise TargetError(f"no folder at {str(folder)!r}")
    paths = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    folders = {p.relative_to(folder).as_posix() + "/": b"" for p in folder.iterdir() if p.is_dir()}
    if len(paths) > MAX_FILES:
        raise TargetError(f"{str(folder)!r} holds {len(paths):,} files; at most {MAX_FILES:,} are accepted")
    if sum(p.stat().st_size for p in paths) > MAX_ARCHIVE_BYTES:
        raise TargetError(f"{str(folder)!r} holds more than {MAX_ARCHIVE_BYTES // 2**20} MB of files")
    return folders | {p.relative_to(folder).as_posix(): p.read_bytes() for p in paths}


def own_images(files: dict[str, bytes], side: int, source: str = "the folder", seed: int = 0) -> TargetSet:
    """The user's labelled images (path → bytes, one folder per class) at ``side`` pixels: about a quarter of each
    class held out (at least one), the rest for training. Raises TargetError, naming the file, for anything
    unusable."""
    classes = _folder_files(files, source)
    rng = np.random.default_rng(seed)
    split: dict[str, list[tuple[np.ndarray, int]]] = {"train": [], "test": []}
    for label, items in enumerate(classes.values()):
        pictures = []
        for path, data in items:
            try:
                pictures.append(np.asarray(prepare(load_image(data, path, target_side=side), side)[1]))
            except ImageError as error:
                raise TargetError(f"{path}: {error}") from None
        order = rng.permutation(len(pictures))
        held = max(1, len(pictures) // 4)
        split["test"] += [(pictures[i], label) for i in order[:held]]
        split["train"] += [(pictures[i], label) for i in order[held:]]
    arrays = {k: (np.stack([p for p, _ in v]), torch.tensor([y for _, y in v])) for k, v in split.items()}
    names = tuple(classes)
    return TargetSet("own", arrays["train"][0], arrays["train"][1], arrays["test"][0], arrays["test"][1], names,
                     lazy("your images: {classes} classes, {train} training and {test} held-out images at "
                          "{side}×{side}", classes=len(names), train=len(split["train"]), test=len(split["test"]),
                          side=side))  # fmt: skip
