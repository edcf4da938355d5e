"""The `rating` object of a model: what a valid one holds, and how its sub-scores read.

A rating is a JSON object. Known scores (`SCORES`) are numbers in [0, 1]; `size_score` is an
object of per-device scores in [0, 1]; every key ending in `_latency` is a non-negative number.
Any other key (`name`, `category`, scores a newer rater adds) is kept as it is.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SCORES = {
    "net_score": "Net score",
    "ramp_up_time": "Ramp-up time",
    "bus_factor": "Bus factor",
    "performance_claims": "Performance claims",
    "license": "License",
    "dataset_and_code_score": "Dataset and code",
    "dataset_quality": "Dataset quality",
    "code_quality": "Code quality",
    "reproducibility": "Reproducibility",
    "reviewedness": "Reviewedness",
    "tree_score": "Tree score",
}
DEVICE_SCORES = "size_score"
LATENCY_SUFFIX = "_latency"


def _is_number(value: Any) -> bool:
    # Decimal: a rating read from its stored JSON text holds exact numbers.
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def is_score(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 1


def rating_problems(rating: Any) -> list[str]:
    """What makes `rating` invalid (empty when it is valid)."""
    if not isinstance(rating, dict):
        return ["The rating must be a JSON object."]
    problems = []
    for key, value in rating.items():
        if key in SCORES and not is_score(value):
            problems.append(f"{key} must be a number between 0 and 1.")
        elif key == DEVICE_SCORES:
            if not isinstance(value, dict) or not all(is_score(score) for score in value.values()):
                problems.append(f"{key} must be an object of per-device numbers between 0 and 1.")
        elif key.endswith(LATENCY_SUFFIX) and not (_is_number(value) and value >= 0):
            problems.append(f"{key} must be a non-negative number.")
    return problems


@dataclass(frozen=True)
class SubScore:
    key: str
    label: str
    score: Any
    latency: Any
    devices: list[tuple[str, Any]] | None = None  # size_score: (device, score)


def sub_scores(rating: dict) -> list[SubScore]:
    """The rating's scores in a stable order (known ones first), each with its latency, for display.
    Works on stored ratings too, which may break the rules: values are passed through as they are."""
    known = [key for key in SCORES if key in rating] + ([DEVICE_SCORES] if DEVICE_SCORES in rating else [])
    others = sorted(
        key
        for key, value in rating.items()
        if key not in SCORES and key != DEVICE_SCORES and not key.endswith(LATENCY_SUFFIX) and _is_number(value)
    )
    result = []
    for key in known + others:
        value = rating[key]
        result.append(
            SubScore(
                key=key,
                label=SCORES.get(key, "Size score" if key == DEVICE_SCORES else key.replace("_", " ").capitalize()),
                score=None if isinstance(value, dict) else value,
                latency=rating.get(key + LATENCY_SUFFIX),
                devices=[(device.replace("_", " "), score) for device, score in value.items()]
                if isinstance(value, dict)
                else None,
            )
        )
    return result
