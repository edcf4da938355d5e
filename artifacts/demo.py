"""Demo data for `manage.py seed_demo`: a small registry of models, datasets and code, linked,
with ratings, plus one model whose stored rating is broken JSON (as a faulty writer left it)."""

import json
from contextlib import suppress

from core.errors import NotFound

from .gateway import ArtifactFields, ArtifactGateway
from .names import normalize_name
from .services import artifact_create, artifact_delete, artifact_id_for_url

HF = "https://huggingface.co"
DATASETS = {
    "bookcorpus": f"{HF}/datasets/bookcorpus/bookcorpus",
    "squad": f"{HF}/datasets/rajpurkar/squad",
    "librispeech_asr": f"{HF}/datasets/openslr/librispeech_asr",
    "imagenet-1k": f"{HF}/datasets/ILSVRC/imagenet-1k",
}
CODE = {
    "google-research/bert": "https://github.com/google-research/bert",
    "openai/whisper": "https://github.com/openai/whisper",
    "pytorch/vision": "https://github.com/pytorch/vision",
}


def _rating(name: str, net: float, **scores: float) -> dict:
    rating = {"name": name, "category": "MODEL", "net_score": net, "net_score_latency": 0.184}
    for index, (metric, score) in enumerate(scores.items()):
        rating[metric] = score
        rating[f"{metric}_latency"] = round(0.021 + 0.013 * index, 3)
    return rating


MODELS = [
    {
        "name": "bert-base-uncased",
        "url": f"{HF}/google-bert/bert-base-uncased",
        "dataset": "bookcorpus",
        "code": "google-research/bert",
        "rating": _rating(
            "bert-base-uncased",
            0.83,
            ramp_up_time=0.9,
            bus_factor=0.75,
            performance_claims=0.92,
            license=1.0,
            dataset_and_code_score=1.0,
            dataset_quality=0.82,
            code_quality=0.71,
            reproducibility=0.5,
            reviewedness=0.64,
            tree_score=0.8,
            size_score={"raspberry_pi": 0.2, "jetson_nano": 0.45, "desktop_pc": 0.9, "aws_server": 1.0},
        ),
    },
    {
        "name": "DistilBERT base uncased (distilled SQuAD)",
        "url": f"{HF}/distilbert/distilbert-base-uncased-distilled-squad",
        "dataset": "squad",
        "code": None,
        "rating": _rating(
            "distilbert-base-uncased-distilled-squad",
            0.71,
            ramp_up_time=0.85,
            bus_factor=0.5,
            performance_claims=0.8,
            license=1.0,
            dataset_and_code_score=0.5,
            dataset_quality=0.9,
            code_quality=0.4,
            size_score={"raspberry_pi": 0.55, "jetson_nano": 0.75, "desktop_pc": 1.0, "aws_server": 1.0},
        ),
    },
    {
        "name": "whisper-tiny",
        "url": f"{HF}/openai/whisper-tiny",
        "dataset": "librispeech_asr",
        "code": "openai/whisper",
        "rating": _rating(
            "whisper-tiny",
            0.78,
            ramp_up_time=0.8,
            bus_factor=0.9,
            performance_claims=0.85,
            license=1.0,
            dataset_and_code_score=1.0,
            dataset_quality=0.77,
            code_quality=0.83,
            size_score={"raspberry_pi": 0.9, "jetson_nano": 1.0, "desktop_pc": 1.0, "aws_server": 1.0},
        ),
    },
    {
        "name": "ResNet-50",
        "url": f"{HF}/microsoft/resnet-50",
        "dataset": "imagenet-1k",
        "code": "pytorch/vision",
        "rating": _rating(
            "resnet-50",
            0.66,
            ramp_up_time=0.7,
            bus_factor=0.35,
            performance_claims=0.75,
            license=1.0,
            dataset_and_code_score=1.0,
            dataset_quality=0.6,
            code_quality=0.9,
            size_score={"raspberry_pi": 0.6, "jetson_nano": 0.8, "desktop_pc": 1.0, "aws_server": 1.0},
        ),
    },
]
BROKEN_MODEL = {"name": "audience_classifier_model", "url": f"{HF}/parvk11/audience_classifier_model"}


def _recreate(**fields) -> None:
    with suppress(NotFound):
        artifact_delete(artifact_id=artifact_id_for_url(fields["url"]))
    artifact_create(**fields)


def seed() -> str:
    """Write the demo artifacts (fixed ids: each is derived from its url); return a one-line summary."""
    for name, url in DATASETS.items():
        _recreate(artifact_type="dataset", name=name, url=url, artifact={"data": {"license": "see dataset card"}})
    for name, url in CODE.items():
        _recreate(artifact_type="code", name=name, url=url)
    for model in MODELS:
        _recreate(
            artifact_type="model",
            name=model["name"],
            url=model["url"],
            rating=model["rating"],
            dataset_id=artifact_id_for_url(DATASETS[model["dataset"]]),
            code_id=artifact_id_for_url(CODE[model["code"]]) if model["code"] else None,
        )
    broken_id = artifact_id_for_url(BROKEN_MODEL["url"])
    gateway = ArtifactGateway()
    with suppress(NotFound):
        gateway.delete(broken_id)
    gateway.insert(
        broken_id,
        ArtifactFields(
            artifact_type="model",
            url=BROKEN_MODEL["url"],
            name_normalized=normalize_name(BROKEN_MODEL["name"]),
            artifact=json.dumps(
                {
                    "metadata": {"name": BROKEN_MODEL["name"], "id": broken_id, "type": "model"},
                    "data": {"url": BROKEN_MODEL["url"]},
                }
            ),
            rating='{"net_score": 0.41, "ramp_up_time": 0.6, "bus_factor": ',  # cut off mid-write
        ),
    )
    total = len(DATASETS) + len(CODE) + len(MODELS) + 1
    return (
        f"{total} registry artifacts ({len(MODELS) + 1} models, {len(DATASETS)} datasets, {len(CODE)} code), "
        "linked, one with a malformed rating"
    )
