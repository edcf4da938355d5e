"""Demo data for `manage.py seed_demo`: a small registry of models, datasets and code, linked,
with ratings, plus one model whose stored rating is broken JSON (as a faulty writer left it)."""

import json
from contextlib import suppress

from core.errors import NotFound

from .gateway import ArtifactFields, ArtifactGateway
from .names import normalize_name
from .services import ArtifactContent, artifact_create, artifact_delete, artifact_id_for_url

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


SCORED = ("ramp_up_time", "bus_factor", "performance_claims", "license", "dataset_and_code_score", "dataset_quality")
DEVICES = ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server")


def _rating(name: str, net: float, scores: tuple[float, ...], sizes: tuple[float, ...], **more: float) -> dict:
    """A rating as the registry's rater writes it: each score with its latency in seconds."""
    rating = {"name": name, "category": "MODEL", "net_score": net, "net_score_latency": 0.184}
    values = {**dict(zip(SCORED, scores, strict=True)), **more, "size_score": dict(zip(DEVICES, sizes, strict=True))}
    for index, (metric, value) in enumerate(values.items()):
        rating[metric] = value
        rating[f"{metric}_latency"] = round(0.021 + 0.013 * index, 3)
    return rating


# name, url, linked dataset, linked code, rating
MODELS = [
    (
        "bert-base-uncased",
        f"{HF}/google-bert/bert-base-uncased",
        "bookcorpus",
        "google-research/bert",
        _rating(
            "bert-base-uncased",
            0.83,
            (0.9, 0.75, 0.92, 1.0, 1.0, 0.82),
            (0.2, 0.45, 0.9, 1.0),
            code_quality=0.71,
            reproducibility=0.5,
            reviewedness=0.64,
            tree_score=0.8,
        ),
    ),
    (
        "DistilBERT base uncased (distilled SQuAD)",
        f"{HF}/distilbert/distilbert-base-uncased-distilled-squad",
        "squad",
        None,
        _rating("distilbert-base-uncased-distilled-squad", 0.71, (0.85, 0.5, 0.8, 1.0, 0.5, 0.9), (0.55, 0.75, 1, 1)),
    ),
    (
        "whisper-tiny",
        f"{HF}/openai/whisper-tiny",
        "librispeech_asr",
        "openai/whisper",
        _rating("whisper-tiny", 0.78, (0.8, 0.9, 0.85, 1.0, 1.0, 0.77), (0.9, 1, 1, 1), code_quality=0.83),
    ),
    (
        "ResNet-50",
        f"{HF}/microsoft/resnet-50",
        "imagenet-1k",
        "pytorch/vision",
        _rating("resnet-50", 0.66, (0.7, 0.35, 0.75, 1.0, 1.0, 0.6), (0.6, 0.8, 1, 1), code_quality=0.9),
    ),
]
BROKEN_MODEL = {"name": "audience_classifier_model", "url": f"{HF}/parvk11/audience_classifier_model"}


def _recreate(content: ArtifactContent) -> None:
    with suppress(NotFound):
        artifact_delete(artifact_id=artifact_id_for_url(content.url))
    artifact_create(content=content)


def seed() -> str:
    """Write the demo artifacts (fixed ids: each is derived from its url); return a one-line summary."""
    for name, url in DATASETS.items():
        _recreate(ArtifactContent("dataset", name, url, artifact={"data": {"license": "see the dataset card"}}))
    for name, url in CODE.items():
        _recreate(ArtifactContent("code", name, url))
    for name, url, dataset, code, rating in MODELS:
        _recreate(
            ArtifactContent(
                "model",
                name,
                url,
                rating=rating,
                dataset_id=artifact_id_for_url(DATASETS[dataset]),
                code_id=artifact_id_for_url(CODE[code]) if code else None,
            )
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
