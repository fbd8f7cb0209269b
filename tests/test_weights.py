"""Weights: the ImageNet cache (never the real one, never the internet), uploads and key diffs."""

import hashlib
import http.server
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import safetensors.torch
import torch
import torchvision

from explorer.spec import IMAGENET_MODELS, ModelSpec
from explorer.weights import (
    CheckpointWeights,
    ImageNetWeights,
    RandomWeights,
    ShippedWeights,
    checkpoint,
    imagenet,
    load_model,
    source_from_argument,
)
from explorer.weights.checkpoint import WeightsError
from tests.conftest import devices
from tests.hostile import cifar20_state, diverged, hostile_checkpoints, saved, zipped

HOSTILE = hostile_checkpoints()

pytestmark = pytest.mark.usefixtures("torch_home")  # an empty torchvision cache for every test


def checkpoints(home: Path) -> Path:
    return home / "hub" / "checkpoints"


def randomised_torchvision_resnet18() -> torch.nn.Module:
    torch.manual_seed(1)
    model = torchvision.models.resnet18(weights=None).eval()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.normal_(module.weight, 1.0, 0.2)
            torch.nn.init.normal_(module.bias, 0.0, 0.2)
            module.running_mean.normal_(0.0, 0.2)
            module.running_var.uniform_(0.5, 2.0)
    return model


# ImageNet weights: which specs have them, where they live, loading from the cache.

RESNET18 = ModelSpec("resnet18")


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet101_2"])
def test_torchvision_architectures_have_imagenet_weights(name: str) -> None:
    for spec in (ModelSpec(name), ModelSpec(name, shortcut="B", num_classes=1000)):
        member = imagenet.imagenet_weights(spec)
        assert member is torchvision.models.get_model_weights(name).DEFAULT
        assert imagenet.imagenet_unavailable_reason(spec) is None


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (ModelSpec("resnet34", skip=False), "plain models have no shortcuts"),
        (ModelSpec("resnet50", preact=True), "pre-activation"),
        (ModelSpec("cifar_resnet20"), "CIFAR"),
        (ModelSpec("resnet18", shortcut="A"), "option A"),
        (ModelSpec("resnet18", shortcut="C"), "option C"),
        (ModelSpec("resnet50", stride_in_1x1=True), "v1.5"),
        (ModelSpec("resnet18", batch_norm=False), "batch norm"),
        (ModelSpec("resnet18", activation="tanh"), "tanh"),
        (ModelSpec("resnet18", num_classes=10), "10 classes"),
    ],
)
def test_other_architectures_have_none_and_a_reason(spec: ModelSpec, words: str) -> None:
    assert imagenet.imagenet_weights(spec) is None
    reason = imagenet.imagenet_unavailable_reason(spec)
    assert reason.startswith("ImageNet weights exist only for the torchvision architecture: ")
    assert words in reason
    assert not imagenet.is_cached(spec)
    with pytest.raises(WeightsError, match="no ImageNet weights"):
        imagenet.load_imagenet(spec.build(), spec)


def test_basic_blocks_ignore_the_stride_placement() -> None:
    assert imagenet.imagenet_weights(ModelSpec("resnet18", stride_in_1x1=True)) is not None


def test_cache_path_follows_torch_hub_and_torch_home(torch_home: Path) -> None:
    member = torchvision.models.ResNet50_Weights.IMAGENET1K_V2
    assert imagenet.cache_path(member) == checkpoints(torch_home) / "resnet50-11ad3fa6.pth"


def test_missing_cache_file_says_where_it_belongs(torch_home: Path) -> None:
    assert not imagenet.is_cached(RESNET18)
    with pytest.raises(WeightsError, match="not in the local cache") as caught:
        imagenet.load_imagenet(RESNET18.build(), RESNET18)
    assert str(checkpoints(torch_home) / "resnet18-f37072fd.pth") in str(caught.value)


def test_cached_weights_load_and_match_torchvision(torch_home: Path) -> None:
    reference = randomised_torchvision_resnet18()
    path = checkpoints(torch_home) / "resnet18-f37072fd.pth"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    assert imagenet.is_cached(RESNET18)
    model = RESNET18.build()
    label = imagenet.load_imagenet(model, RESNET18)
    assert str(label) == "ImageNet weights: torchvision ResNet18_Weights.IMAGENET1K_V1 (from the local cache)"
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert (model(x) - reference(x)).abs().max().item() <= 1e-5


def test_a_corrupt_cached_file_is_reported(torch_home: Path) -> None:
    path = checkpoints(torch_home) / "resnet18-f37072fd.pth"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match=r"unreadable.*delete the file"):
        imagenet.load_imagenet(RESNET18.build(), RESNET18)


# Downloads: from local servers only.


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A localhost HTTP server for a folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def fake_member(monkeypatch: pytest.MonkeyPatch, data: bytes) -> str:
    """Make resnet18's weights a file named after the SHA-256 of ``data``; return that name."""
    name = f"resnet18-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    member = SimpleNamespace(url=f"https://download.pytorch.org/models/{name}")
    monkeypatch.setattr(imagenet, "imagenet_weights", lambda spec: member)
    return name


def test_download_lands_in_the_cache_with_progress(
    served: tuple[str, Path], torch_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(5 * 2**20 // 2)
    name = fake_member(monkeypatch, data)
    base, folder = served
    (folder / name).write_bytes(data)
    calls: list[tuple[int, int | None]] = []
    path = imagenet.download_imagenet(RESNET18, lambda done, total: calls.append((done, total)), f"{base}/{name}")
    assert path == checkpoints(torch_home) / name
    assert path.read_bytes() == data
    assert list(path.parent.iterdir()) == [path]
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert len(calls) == 3 and calls[-1] == (len(data), len(data))
    assert imagenet.is_cached(RESNET18)


def test_download_from_a_file_url(tmp_path: Path, torch_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = saved(randomised_torchvision_resnet18().state_dict())
    name = fake_member(monkeypatch, data)
    source = tmp_path / name
    source.write_bytes(data)
    path = imagenet.download_imagenet(RESNET18, url=source.as_uri())
    assert path.read_bytes() == data
    assert str(imagenet.load_imagenet(RESNET18.build(), RESNET18)).startswith("ImageNet weights: torchvision")


def test_a_hash_mismatch_is_refused_and_nothing_is_left(tmp_path: Path, torch_home: Path) -> None:
    source = tmp_path / "resnet18-f37072fd.pth"
    source.write_bytes(b"these are not the weights you are looking for")
    calls: list[tuple[int, int | None]] = []
    with pytest.raises(WeightsError, match=r"corrupt.*SHA-256.*f37072fd"):
        imagenet.download_imagenet(RESNET18, lambda done, total: calls.append((done, total)), source.as_uri())
    assert calls
    assert list(checkpoints(torch_home).iterdir()) == []
    assert not imagenet.is_cached(RESNET18)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/resnet18-f37072fd.pth", "file:///nonexistent/weights.pth"])
def test_unreachable_urls_say_offline(url: str, torch_home: Path) -> None:
    with pytest.raises(WeightsError, match=r"Could not download.*\(offline\?\)"):
        imagenet.download_imagenet(RESNET18, url=url)
    assert list(checkpoints(torch_home).iterdir()) == []


def test_a_server_error_says_offline(served: tuple[str, Path], torch_home: Path) -> None:
    with pytest.raises(WeightsError, match=r"Could not download.*404"):
        imagenet.download_imagenet(RESNET18, url=f"{served[0]}/missing.pth")


def test_no_download_for_architectures_without_weights() -> None:
    with pytest.raises(WeightsError, match="no ImageNet weights"):
        imagenet.download_imagenet(ModelSpec("cifar_resnet20"), url="http://127.0.0.1:1/x")


# Uploaded checkpoints: only tensors, never code.

CIFAR20 = ModelSpec("cifar_resnet20")


def test_a_pth_state_dict_is_read() -> None:
    state = cifar20_state()
    read = checkpoint.read_checkpoint(saved(state), "net.pth")
    assert list(read) == list(state)
    assert all(torch.equal(read[k], state[k]) for k in state)


@pytest.mark.parametrize("key", ["state_dict", "model", "model_state_dict"])
def test_containers_are_unwrapped(key: str) -> None:
    state = cifar20_state()
    data = saved({key: state, "epoch": 164, "best_acc": 91.25, "optimizer": {"lr": 0.1}})
    assert list(checkpoint.read_checkpoint(data, "run.pt")) == list(state)


def test_the_data_parallel_prefix_is_stripped() -> None:
    state = cifar20_state()
    data = saved({"state_dict": {f"module.{k}": v for k, v in state.items()}})
    assert list(checkpoint.read_checkpoint(data, "dp.pth")) == list(state)


def test_safetensors_are_read() -> None:
    state = {k: v.contiguous() for k, v in cifar20_state().items()}
    read = checkpoint.read_checkpoint(safetensors.torch.save(state), "net.safetensors")
    assert all(torch.equal(read[k], state[k]) for k in state)


class Harmless:
    pass


class Malicious:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_arbitrary_objects_are_refused() -> None:
    data = saved({"w": torch.zeros(1), "evil": Harmless()})
    with pytest.raises(WeightsError, match=r"refused: the file contains Python objects other than tensors"):
        checkpoint.read_checkpoint(data, "objects.pth")


def test_a_malicious_pickle_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = saved({"w": torch.zeros(1), "evil": Malicious(marker)})
    with pytest.raises(WeightsError, match=r"unrestricted unpickling, which could run code"):
        checkpoint.read_checkpoint(data, "evil.pth")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"garbage " * 100, "junk.pth", "neither a PyTorch checkpoint (the zip archive torch.save writes) nor"),
        (b"PK\x03\x04" + bytes(200), "zip.pt", "'zip.pt' is a damaged zip archive"),
        (b"garbage " * 100, "junk.safetensors", "nor a safetensors file"),
        (zipped({"notes.txt": b"hello"}, zipfile.ZIP_STORED), "other.zip.pth", "not a readable PyTorch checkpoint"),
        (b"", "empty.pth", "'empty.pth' is empty"),
        (saved([torch.zeros(1), torch.ones(2)]), "list.pth", "holds type list, not a state dict"),
        (saved({}), "nothing.pth", "holds no tensors"),
        (saved({"epoch": 3, "arch": "resnet20"}), "meta.pth", "entry 'epoch' is not a tensor (int)"),
    ],
    ids=lambda value: "file" if isinstance(value, bytes) else None,  # a zip's bytes hold the time it was made, and
)  # xdist stops a run whose workers collected different names (seen once when they straddled a second)
def test_unusable_files_are_explained(data: bytes, filename: str, words: str) -> None:
    with pytest.raises(WeightsError) as caught:
        checkpoint.read_checkpoint(data, filename)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "data", "words"), hostile_checkpoints(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_hostile_checkpoints_are_refused_in_one_line(name: str, data: bytes, words: str) -> None:
    with pytest.raises(WeightsError) as caught:
        checkpoint.read_checkpoint(data, name)
    assert words in str(caught.value) and "\n" not in str(caught.value) and repr(name) in str(caught.value)


def test_nan_and_infinite_weights_are_named() -> None:
    with pytest.raises(WeightsError, match=r"NaN or infinite values in 2 tensors \(layer1.0.conv1.weight, fc.weight\)"):
        checkpoint.read_checkpoint(diverged(), "diverged.pth")


def test_safetensors_and_pickles_are_told_apart_by_content() -> None:
    state = {k: v.contiguous() for k, v in cifar20_state().items()}
    assert set(checkpoint.read_checkpoint(safetensors.torch.save(state), "misnamed.pth")) == set(state)
    assert list(checkpoint.read_checkpoint(saved(state), "misnamed.safetensors")) == list(state)


def test_the_limit_fits_the_largest_variants_checkpoint() -> None:
    largest = max(sum(p.numel() for p in ModelSpec(name).build("meta").parameters()) for name in IMAGENET_MODELS)
    assert 450 * 2**20 < 4 * largest < checkpoint.MAX_CHECKPOINT_BYTES  # Wide ResNet-101-2: 484 MiB in float32


def test_too_large_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "MAX_CHECKPOINT_BYTES", 1000)
    with pytest.raises(WeightsError, match="MB are accepted"):
        checkpoint.read_checkpoint(saved(cifar20_state()), "big.pth")


# Fitting a checkpoint to a model.


def test_a_matching_checkpoint_loads() -> None:
    state = checkpoint.read_checkpoint(saved(cifar20_state()), "net.pth")
    model = CIFAR20.build()
    assert checkpoint.diff_state_dict(model, state).ok
    checkpoint.load_checkpoint(model, state)
    assert all(torch.equal(model.state_dict()[k], state[k]) for k in state)


def test_older_checkpoints_without_batch_counters_load() -> None:
    state = {k: v for k, v in cifar20_state().items() if not k.endswith("num_batches_tracked")}
    checkpoint.load_checkpoint(CIFAR20.build(), state)


def test_option_a_shortcuts_have_no_parameters_so_plain_nets_share_the_keys() -> None:
    assert checkpoint.diff_state_dict(CIFAR20.with_options(skip=False).build(), cifar20_state()).ok


def test_projection_shortcuts_are_unexpected_in_a_plain_net() -> None:
    state = CIFAR20.with_options(shortcut="B").build().state_dict()
    diff = checkpoint.diff_state_dict(CIFAR20.with_options(skip=False).build(), state)
    assert diff.missing == () and diff.mismatched == ()
    assert diff.unexpected == tuple(
        f"layer{stage}.0.downsample.{part}"
        for stage in (2, 3)
        for part in ("0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked")
    )
    assert diff.summary().startswith("12 unexpected keys: layer2.0.downsample.0.weight, ")
    assert diff.summary(limit=2).endswith(", … and 10 more")


def test_a_deeper_model_misses_blocks() -> None:
    diff = checkpoint.diff_state_dict(ModelSpec("cifar_resnet32").build(), cifar20_state())
    assert not diff.ok and diff.unexpected == () and diff.mismatched == ()
    assert {name.split(".")[0] + "." + name.split(".")[1] for name in diff.missing} == {
        f"layer{stage}.{block}" for stage in (1, 2, 3) for block in (3, 4)
    }
    assert diff.summary().startswith(f"{len(diff.missing)} missing keys: layer1.3.conv1.weight, ")


def test_another_head_is_mis_shaped() -> None:
    diff = checkpoint.diff_state_dict(CIFAR20.with_options(num_classes=100).build(), cifar20_state())
    assert diff.mismatched == (("fc.weight", (10, 64), (100, 64)), ("fc.bias", (10,), (100,)))
    assert diff.summary() == (
        "2 mis-shaped keys: fc.weight is 10×64 in the file, 100×64 in the model; "
        "fc.bias is 10 in the file, 100 in the model"
    )


def test_one_of_each_reads_well() -> None:
    state = cifar20_state()
    state["extra.weight"] = state.pop("layer1.0.conv1.weight")
    state["fc.bias"] = torch.zeros(7)
    assert checkpoint.diff_state_dict(CIFAR20.build(), state).summary() == (
        "1 missing key: layer1.0.conv1.weight\n"
        "1 unexpected key: extra.weight\n"
        "1 mis-shaped key: fc.bias is 7 in the file, 10 in the model"
    )


def test_load_checkpoint_refuses_with_the_summary() -> None:
    model = CIFAR20.with_options(num_classes=100).build()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(WeightsError, match=r"do not fit the chosen model: 2 mis-shaped keys: fc\.weight is 10×64"):
        checkpoint.load_checkpoint(model, cifar20_state())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# Labels and class names.


def test_random_weights_are_seeded_and_labelled_untrained() -> None:
    spec = ModelSpec("cifar_resnet20")
    a, b = load_model(spec, RandomWeights()), load_model(spec, RandomWeights())
    label = str(a.label)
    assert not a.trained and label.startswith("Random initialisation of ResNet-20") and "untrained" in label
    second = b.model.state_dict()
    assert all(torch.equal(value, second[key]) for key, value in a.model.state_dict().items())
    other = load_model(spec, RandomWeights(seed=1))
    assert not torch.equal(other.model.conv1.weight, a.model.conv1.weight)
    assert (a.weights_id, other.weights_id) == ("random:0", "random:1") and a.class_names[-1] == "class 9"


# One way to load a model with its weights.


@pytest.mark.parametrize("device", devices())
def test_load_model_puts_the_model_on_the_device_in_eval_mode(device: str) -> None:
    loaded = load_model(ModelSpec("cifar_resnet20"), RandomWeights(), device)
    assert {p.device.type for p in loaded.model.parameters()} == {device} and not loaded.model.training


def test_imagenet_weights_from_the_cache_only(torch_home: Path) -> None:
    with pytest.raises(WeightsError, match="not in the local cache"):
        load_model(RESNET18, ImageNetWeights())
    path = checkpoints(torch_home) / "resnet18-f37072fd.pth"
    path.parent.mkdir(parents=True)
    torch.save(randomised_torchvision_resnet18().state_dict(), path)
    loaded = load_model(RESNET18, ImageNetWeights())
    assert loaded.trained and loaded.weights_id == "imagenet" and loaded.class_names[207] == "golden retriever"
    with pytest.raises(WeightsError, match="no ImageNet weights"):
        load_model(ModelSpec("resnet18", preact=True), ImageNetWeights())


def test_shipped_weights_bring_their_own_classes() -> None:
    loaded = load_model(ModelSpec("cifar_resnet20"), ShippedWeights())
    assert loaded.spec.num_classes == 6 and loaded.class_names == (
        "circle",
        "square",
        "triangle",
        "star",
        "cross",
        "ring",
    )
    assert loaded.weights_id == ShippedWeights().key and loaded.trained  # as every source: with the spec, one net
    with pytest.raises(WeightsError, match="no Shapes-trained weights for ResNet-18"):
        load_model(RESNET18, ShippedWeights())


def test_a_checkpoint_is_named_by_its_digest_and_gives_its_class_count() -> None:
    six = saved(CIFAR20.with_options(num_classes=6).build().state_dict())
    source = CheckpointWeights(six, "six.pth")
    assert source.key == f"checkpoint:{hashlib.sha256(six).hexdigest()}" and source == CheckpointWeights(six, "six.pth")
    loaded = load_model(CIFAR20, source)
    assert loaded.spec.num_classes == 6 and loaded.model.fc.out_features == 6 and len(loaded.class_names) == 6
    assert str(loaded.label) == "Checkpoint six.pth" and loaded.weights_id == source.key
    assert load_model(CIFAR20, CheckpointWeights(saved(cifar20_state()))).spec == CIFAR20


def test_the_command_line_names_a_source(tmp_path: Path) -> None:
    assert source_from_argument("random") == RandomWeights() and source_from_argument("shapes") == ShippedWeights()
    path = tmp_path / "r20.pt"
    path.write_bytes(saved(cifar20_state()))
    assert source_from_argument(str(path)) == CheckpointWeights(path.read_bytes(), "r20.pt")
    with pytest.raises(WeightsError, match="no checkpoint file at"):
        source_from_argument(str(tmp_path / "missing.pt"))


def test_imagenet_class_names() -> None:
    names = imagenet.class_names(ModelSpec("resnet50"), 1000)
    assert len(names) == 1000 and names[207] == "golden retriever" and names[0] == "tench"


def test_generic_class_names() -> None:
    assert imagenet.class_names(CIFAR20, 10) == [f"class {i}" for i in range(10)]
    assert imagenet.class_names(ModelSpec("resnet18", num_classes=5), 5)[-1] == "class 4"
