"""Shapes: deterministic samples with true boxes and masks, scoring, training, and the shipped models."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.errors import UserError
from explorer.images import normalise, prepare
from explorer.shapes import dataset
from explorer.shapes.dataset import CLASSES, Sample, ShapesConfig
from explorer.shapes.scoring import MapScore, score_map, score_model, scores_table
from explorer.shapes.shipped import load_shipped, shipped_for, shipped_models
from explorer.shapes.training import Recipe, evaluate, save, shapes_spec, train

MAX_CHECKPOINT_BYTES = 5 * 2**20


def test_samples_are_deterministic_by_seed_and_index() -> None:
    a, b = dataset.sample(ShapesConfig(seed=3), 7), dataset.sample(ShapesConfig(seed=3), 7)
    assert np.array_equal(a.image, b.image) and a.label == b.label and a.box == b.box
    assert not np.array_equal(a.image, dataset.sample(ShapesConfig(seed=4), 7).image)
    assert not np.array_equal(a.image, dataset.sample(ShapesConfig(seed=3), 8).image)


@pytest.mark.parametrize("size", [32, 64, 224])
def test_any_resolution_with_box_matching_mask(size: int) -> None:
    for sample in dataset.samples(ShapesConfig(size=size), 0, 12):
        assert sample.image.shape == (size, size, 3) and sample.image.dtype == np.uint8
        assert sample.mask.shape == (size, size) and sample.mask.any()
        ys, xs = np.nonzero(sample.mask)
        assert sample.box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert 0 <= sample.label < len(CLASSES) and sample.class_name == CLASSES[sample.label]


def test_every_class_appears_and_objects_vary() -> None:
    drawn = dataset.samples(ShapesConfig(), 0, 300)
    assert {s.label for s in drawn} == set(range(len(CLASSES)))
    areas = [s.mask.mean() for s in drawn]
    assert min(areas) < 0.12 < 0.2 < max(areas)
    centres = {((s.box[0] + s.box[2]) // 8, (s.box[1] + s.box[3]) // 8) for s in drawn}
    assert len(centres) > 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 16}, "from 32 to 224"),
        ({"size": 1000}, "from 32 to 224"),
        ({"min_radius": 0.4, "max_radius": 0.2}, "radius"),
        ({"max_distractors": 50}, "distractors"),
    ],
)
def test_bad_dataset_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        ShapesConfig(**kwargs)


def test_tensors_match_the_image_labs_preprocessing() -> None:
    sample = dataset.sample(ShapesConfig(), 0)
    x, seen = prepare(Image.fromarray(sample.image), 32)
    assert np.array_equal(np.asarray(seen), sample.image)
    assert torch.allclose(normalise(sample.image[None]), x, atol=1e-6)


def _sample_with_box(box: tuple[int, int, int, int]) -> Sample:
    mask = np.zeros((8, 8), dtype=bool)
    mask[box[1] : box[3], box[0] : box[2]] = True
    return Sample(np.zeros((8, 8, 3), dtype=np.uint8), 0, box, mask)


def test_pointing_game_and_energy() -> None:
    sample = _sample_with_box((2, 2, 4, 4))
    cam = np.zeros((8, 8))
    cam[3, 3], cam[6, 6] = 3.0, 1.0
    assert score_map(cam, sample).hit and score_map(cam, sample).energy_in_mask == pytest.approx(0.75)
    cam[6, 6] = 5.0
    assert not score_map(cam, sample).hit and score_map(cam, sample).energy_in_mask == pytest.approx(3 / 8)
    assert score_map(np.zeros((8, 8)), sample) == MapScore(hit=False, energy_in_mask=0.0)  # an empty map scores nothing


def test_a_short_training_run_writes_checkpoint_and_metadata(tmp_path: Path) -> None:
    recipe = Recipe(steps=3, batch_size=8, train_images=40, test_images=20)
    steps = []
    model, metadata = train(shapes_spec(8), ShapesConfig(), recipe, lambda s, n, loss: steps.append(s))
    assert steps == [1, 2, 3] and not model.training
    assert metadata["classes"] == list(CLASSES) and 0 <= metadata["test_accuracy"] <= 1
    assert metadata["test_dataset"]["seed"] != metadata["dataset"]["seed"]
    checkpoint, meta = save(model, metadata, tmp_path / "shapes_resnet8")
    found = shipped_models(tmp_path)
    assert list(found) == ["shapes_resnet8"] and found["shapes_resnet8"].spec == shapes_spec(8)
    reloaded = torch.load(checkpoint, weights_only=True)
    assert reloaded.keys() == model.state_dict().keys()
    assert json.loads(meta.read_text())["recipe"]["steps"] == 3


def test_recipe_validation() -> None:
    with pytest.raises(UserError, match="learning rate"):
        Recipe(lr=0)
    with pytest.raises(UserError, match="steps"):
        Recipe(steps=0)


@pytest.fixture(scope="module")
def shipped() -> dict:
    models = shipped_models()
    assert set(models) == {"shapes_resnet20", "shapes_plain20"}, "the trained checkpoints are committed"
    return models


def test_shipped_checkpoints_are_small_and_match_their_specs(shipped: dict) -> None:
    for m in shipped.values():
        assert m.checkpoint.stat().st_size <= MAX_CHECKPOINT_BYTES
        assert m.metadata["classes"] == list(CLASSES)
    assert shipped_for(shapes_spec(20)).name == "shapes_resnet20"
    assert shipped_for(shapes_spec(20, skip=False)).name == "shapes_plain20"
    assert shipped_for(shapes_spec(32)) is None


def test_shipped_resnet20_reproduces_its_recorded_accuracy(shipped: dict) -> None:
    m = shipped["shapes_resnet20"]
    assert m.metadata["test_accuracy"] >= 0.95
    accuracy = evaluate(load_shipped(m), m.test_config, m.metadata["test_images"])
    assert accuracy == pytest.approx(m.metadata["test_accuracy"], abs=0.005)


def test_last_stage_grad_cam_points_at_the_object(shipped: dict) -> None:
    m = shipped["shapes_resnet20"]
    scores = score_model(load_shipped(m), m.test_config, 120)
    assert scores[-1].paper_name == "conv4_3" and scores[-1].images == 120
    assert scores[-1].pointing_accuracy >= 0.85  # 500 images: see README for the full figure
    assert scores[-1].energy_in_mask > 0.3
    rows = scores_table({"ResNet-20": scores})
    assert rows[-1]["block"] == "conv4_3" and rows[-1]["ResNet-20 pointing"].endswith("%")
