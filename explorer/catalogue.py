"""The named nets the pages and commands offer: one catalogue, one name for each.

A net is ``<weights>-<architecture>``: ``shapes-resnet20``, ``imagenet-resnet50``, ``untrained-plain18``,
``untrained-preact-resnet56``, ``digits-plain56``. A pair, a residual net and its plain counterpart of the same
depth, is ``<weights>-<depth>``: ``shapes-20``, ``digits-56``, ``untrained-110``, ``imagenet-18`` (whose plain net is
untrained: no ImageNet weights exist for one). Each net is a :class:`~explorer.spec.ModelSpec` and a weight
source, loaded like any other model (:func:`explorer.weights.load_model`; on a page, ``server.shared_model``,
keyed by exactly those two).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.errors import check_choice
from explorer.language import N_, Message, lazy
from explorer.spec import ModelSpec
from explorer.weights import (
    DigitsWeights,
    ImageNetWeights,
    LoadedModel,
    RandomWeights,
    ShippedWeights,
    WeightSource,
    imagenet,
    load_model,
)
from explorer.weights.digits import DIGITS_DEPTHS, DigitsRecipe

PREFIXES: dict[str, str] = {"shapes": "shapes", "imagenet": "imagenet", "random": "untrained", "digits": "digits"}
WORDS: dict[str, str] = {  # English texts, said in the reader's language
    "shapes": N_("Shapes-trained"),
    "imagenet": N_("ImageNet"),
    "random": N_("untrained"),
    "digits": N_("digits-trained"),
}

HOLDS: dict[str, str] = {
    "shapes": N_("trained on Shapes (shipped)"),
    "imagenet": N_("ImageNet weights (torchvision)"),
    "random": N_("untrained (random initialisation)"),
    "digits": N_("trained here on the digits"),
}


def _depth(spec: ModelSpec) -> str:
    return spec.name.removeprefix("cifar_resnet").removeprefix("resnet")


@dataclass(frozen=True)
class Net:
    """A named net: what is built (``spec``) and where its weights come from (``source``)."""

    spec: ModelSpec
    source: WeightSource

    @property
    def key(self) -> str:
        """Its name in addresses and on the command line, e.g. ``imagenet-resnet50``."""
        kind = ("preact-" if self.spec.preact else "") + ("resnet" if self.spec.skip else "plain")
        return f"{PREFIXES[self.source.kind]}-{kind}{_depth(self.spec)}"

    @property
    def name(self) -> Message:
        """How the pages show it, e.g. ``ResNet-50 pre-activation · untrained`` (in the reader's language)."""
        base = f"{'ResNet' if self.spec.skip else 'plain'}-{_depth(self.spec)}"
        weights = lazy(WORDS[self.source.kind])
        if self.spec.preact:
            return lazy("{net} pre-activation · {weights}", net=base, weights=weights)
        return lazy("{net} · {weights}", net=base, weights=weights)

    def available(self) -> bool:
        """Whether its weights are here (ImageNet weights in the local cache, digits nets trained and kept)."""
        return self.source.available(self.spec)

    def source_here(self) -> WeightSource:
        """Its source where its weights are here; else a random initialisation (the untrained net)."""
        return self.source if self.available() else RandomWeights()

    def weights_label(self, loaded: LoadedModel) -> Message:
        """What ``loaded`` (this net, through :meth:`source_here`) holds, in words: its weights, or, where they were
        missing, that it is untrained and why."""
        if loaded.weights_id == self.source.key:
            return lazy(HOLDS[self.source.kind])
        weights = lazy(WORDS[self.source.kind])
        member = imagenet.imagenet_weights(self.spec) if self.source.kind == "imagenet" else None
        if member is None:
            return lazy("untrained: its {weights} weights are not here", weights=weights)
        return lazy("untrained: its {weights} weights are not here ({path})", weights=weights,
                    path=str(imagenet.cache_path(member)))  # fmt: skip

    def load(self, device: torch.device | str = "cpu") -> LoadedModel:
        """The net on ``device`` (untrained where its weights are missing: see :meth:`weights_label`)."""
        return load_model(self.spec, self.source_here(), device)


@dataclass(frozen=True)
class Pair:
    """A residual net and its plain counterpart: the same layers, without the shortcuts."""

    residual: Net
    plain: Net

    @property
    def key(self) -> str:
        """Its name, e.g. ``digits-56``."""
        return f"{PREFIXES[self.residual.source.kind]}-{self.depth}"

    @property
    def depth(self) -> int:
        """The depth of both nets."""
        return int(_depth(self.residual.spec))

    @property
    def name(self) -> Message:
        """How the pages show it, e.g. ``Shapes-trained: ResNet-20 vs plain-20`` (in the reader's language)."""
        weights = lazy(WORDS[self.residual.source.kind])
        if self.plain.source == self.residual.source:
            return lazy("{weights}: ResNet-{depth} vs plain-{depth}", weights=weights, depth=self.depth)
        return lazy("{weights}: ResNet-{depth} vs plain-{depth} ({plain})", weights=weights, depth=self.depth,
                    plain=lazy(WORDS[self.plain.source.kind]))  # fmt: skip

    def nets(self) -> tuple[Net, Net]:
        """The residual net, then the plain one."""
        return self.residual, self.plain


def _nets() -> list[Net]:
    shapes = [Net(ModelSpec("cifar_resnet20", skip=skip, num_classes=6), ShippedWeights()) for skip in (True, False)]
    trained = [Net(ModelSpec(f"resnet{d}"), ImageNetWeights()) for d in (18, 34, 50, 101, 152)]
    untrained_imagenet = [
        *(Net(ModelSpec(f"resnet{d}", skip=False), RandomWeights()) for d in (18, 34, 50)),
        Net(ModelSpec("resnet50", preact=True), RandomWeights()),
    ]
    untrained_cifar = [
        *(Net(ModelSpec(f"cifar_resnet{d}", skip=s), RandomWeights()) for d in (20, 56, 110) for s in (True, False)),
        Net(ModelSpec("cifar_resnet56", preact=True), RandomWeights()),
    ]
    digits = [Net(DigitsRecipe(d).spec(skip), DigitsWeights()) for d in DIGITS_DEPTHS for skip in (True, False)]
    return [*shapes, *trained, *untrained_imagenet, *untrained_cifar, *digits]


NETS: dict[str, Net] = {net.key: net for net in _nets()}


def _pairs() -> list[Pair]:
    def pair(residual: str, plain: str) -> Pair:
        return Pair(NETS[residual], NETS[plain])

    return [
        pair("shapes-resnet20", "shapes-plain20"),
        *(pair(f"digits-resnet{d}", f"digits-plain{d}") for d in DIGITS_DEPTHS),
        *(pair(f"untrained-resnet{d}", f"untrained-plain{d}") for d in (20, 56, 110)),
        *(pair(f"imagenet-resnet{d}", f"untrained-plain{d}") for d in (18, 50)),
    ]


PAIRS: dict[str, Pair] = {pair.key: pair for pair in _pairs()}


def net(key: str) -> Net:
    """The net named ``key``; a UserError listing the names for any other."""
    return NETS[check_choice("net", key, NETS)]


def pair(key: str) -> Pair:
    """The pair named ``key``; a UserError listing the names for any other."""
    return PAIRS[check_choice("nets", key, PAIRS)]
