"""Registry items as records, read tolerantly: other services write this table, so any attribute
may be missing or of the wrong type, and the serialized `artifact` and `rating` may be broken.
A broken one becomes an error value on the record; reading never raises. Values are kept as read
(readers show them through `core.display`)."""

from dataclasses import dataclass
from typing import Any

from core.display import clean_text, displayed_text
from core.stored_json import read_json

ARTIFACT_TYPES = ("model", "dataset", "code")
LINK_KINDS = ("dataset", "code")  # a model's links: dataset_id/_name/_url and code_id/_name/_url


@dataclass(frozen=True, kw_only=True)
class LinkAttributes:
    """A model's links as the registry stores them: each linked id with copies of its name and url."""

    dataset_id: str | None = None
    dataset_name: str | None = None
    dataset_url: str | None = None
    code_id: str | None = None
    code_name: str | None = None
    code_url: str | None = None


@dataclass(frozen=True)
class ArtifactRecord(LinkAttributes):
    artifact_id: str
    artifact_type: str | None
    name: str
    name_normalized: str | None
    url: str | None
    artifact: dict | None
    artifact_error: str | None
    rating: dict | None
    rating_error: str | None
    stored_artifact: str | None = None  # the stored text, shown when it cannot be parsed
    stored_rating: str | None = None

    @property
    def net_score(self) -> Any:
        return None if self.rating is None else self.rating.get("net_score")


def parse_json_object(value: Any) -> tuple[dict | None, str | None]:
    """(object, None) for a JSON object (or a map stored as such), (None, why) otherwise."""
    if isinstance(value, dict):
        return value, None
    if not isinstance(value, str):
        return None, f"stored as a {type(value).__name__}, not a JSON string"
    try:
        parsed = read_json(value)
    except ValueError as err:
        return None, str(err)
    if not isinstance(parsed, dict):
        return None, f"a JSON {type(parsed).__name__}, not an object"
    return parsed, None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _display_name(artifact: dict | None, name_normalized: str | None) -> str:
    """Upstream keeps the name in the serialized artifact (`metadata.name`)."""
    metadata = (artifact or {}).get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("name"), str) and metadata["name"]:
        return clean_text(metadata["name"])
    return name_normalized or ""


def record_from_item(item: dict) -> ArtifactRecord:
    artifact, artifact_error = (None, None)
    if "artifact" in item:
        artifact, artifact_error = parse_json_object(item["artifact"])
    rating, rating_error = (None, None)
    if "rating" in item:
        rating, rating_error = parse_json_object(item["rating"])
    name_normalized = _text(item.get("name_normalized"))
    return ArtifactRecord(
        artifact_id=str(item["artifact_id"]),
        artifact_type=_text(item.get("artifact_type")),
        name=_display_name(artifact, name_normalized),
        name_normalized=name_normalized,
        url=_text(item.get("url")),
        artifact=artifact,
        artifact_error=artifact_error,
        rating=rating,
        rating_error=rating_error,
        **{
            f"{kind}_{field}": _text(item.get(f"{kind}_{field}"))
            for kind in LINK_KINDS
            for field in ("id", "name", "url")
        },
        stored_artifact=displayed_text(item["artifact"]) if artifact_error else None,
        stored_rating=displayed_text(item["rating"]) if rating_error else None,
    )
