"""Artifact registry operations, shared by the API, the admin and the demo data.

A url is registered at most once. Two checks make that hold under concurrency: the id of an
artifact we create is derived from its url (`artifact_id_for_url`) and written with a conditional
put (`attribute_not_exists`), so concurrent creates of one url race for one key and exactly one
wins; and before writing, the url is looked up (url index, or a Scan without it) to catch items
that other writers registered under ids of their own. For the derived id to stay meaningful, an
artifact's url never changes: a replace must keep it.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from core.dynamo.paging import Page
from core.dynamo.retry import retry_on_conflict
from core.errors import ConditionFailed, Conflict, InvalidInput, NotFound
from core.stored_json import write_json

from .gateway import MAX_KEY_BYTES, ArtifactFields, ArtifactGateway
from .names import MAX_NAME_LENGTH, normalize_name
from .rating import rating_problems
from .records import ARTIFACT_TYPES, LINK_KINDS, ArtifactRecord


class DuplicateUrl(Conflict):
    code = "duplicate_url"


@dataclass(frozen=True)
class ArtifactContent:
    """What a caller gives to register or replace an artifact; the id, the normalized name, the
    serialized strings and the linked names and urls are derived from it."""

    artifact_type: str
    name: str
    url: str
    artifact: dict | None = None
    rating: dict | None = None
    dataset_id: str | None = None
    code_id: str | None = None


def artifact_id_for_url(url: str) -> str:
    return "art_" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def artifact_get(*, artifact_id: str) -> ArtifactRecord:
    record = ArtifactGateway().get(artifact_id)
    if record is None:
        raise NotFound(f"No artifact {artifact_id!r}.")
    return record


def artifact_list(
    *,
    artifact_type: str | None = None,
    url: str | None = None,
    name: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[ArtifactRecord]:
    """One page of artifacts; `name` is normalized like stored names and matched as a substring."""
    name_query = None
    if name is not None:
        name_query = normalize_name(name)
        if not name_query:
            raise InvalidInput("The name to search for must contain a letter or a digit.")
    return ArtifactGateway().page(
        artifact_type=artifact_type, url=url, name_query=name_query, cursor=cursor, limit=limit
    )


def artifact_links(*, record: ArtifactRecord) -> dict[str, ArtifactRecord]:
    """The linked dataset and code artifacts that exist, by kind (one BatchGetItem, none without links)."""
    return _existing_links({kind: getattr(record, f"{kind}_id") for kind in LINK_KINDS})


def artifact_create(*, content: ArtifactContent) -> ArtifactRecord:
    """Register a new artifact; DuplicateUrl (409) when its url is already registered."""
    artifact_id, fields = _fields(artifact_id=None, content=content)
    gateway = ArtifactGateway()
    existing = gateway.find_by_url(content.url)
    if existing is not None:
        raise DuplicateUrl(f"The url is already registered as artifact {existing.artifact_id}.")
    try:
        return gateway.insert(artifact_id, fields)
    except ConditionFailed as err:
        raise DuplicateUrl(f"The url is already registered as artifact {artifact_id}.") from err


def artifact_replace(*, artifact_id: str, content: ArtifactContent) -> ArtifactRecord:
    """Replace what an artifact holds (its url stays); attributes other writers added are kept."""
    _, fields = _fields(artifact_id=artifact_id, content=content)
    gateway = ArtifactGateway()

    def attempt() -> ArtifactRecord:
        current = artifact_get(artifact_id=artifact_id)
        if current.url != content.url:
            raise InvalidInput(
                f"The url of an artifact cannot change (it is {current.url!r}); register the new url as a new artifact."
            )
        return gateway.update(artifact_id, fields, expected_url=content.url)

    return retry_on_conflict(attempt, what=f"Artifact {artifact_id}")


def artifact_delete(*, artifact_id: str) -> ArtifactRecord:
    """Delete an artifact and return what it held; NotFound when there is none."""
    return ArtifactGateway().delete(artifact_id)


# ---- what a write stores ----


def _fields(*, artifact_id: str | None, content: ArtifactContent) -> tuple[str, ArtifactFields]:
    """The id (derived from the url when None) and the attributes to store, or InvalidInput."""
    artifact_type, name, url, rating = content.artifact_type, content.name, content.url, content.rating
    if artifact_type not in ARTIFACT_TYPES:
        raise InvalidInput(f"Unknown artifact type {artifact_type!r}; use one of {', '.join(ARTIFACT_TYPES)}.")
    if not isinstance(url, str) or not url or len(url.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidInput(f"The url is required and holds at most {MAX_KEY_BYTES} bytes.")
    name_normalized = normalize_name(name) if isinstance(name, str) else ""
    if not name_normalized or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The name needs a letter or a digit and at most {MAX_NAME_LENGTH} characters.")
    if rating is not None:
        if artifact_type != "model":
            raise InvalidInput("Only models have a rating.")
        problems = rating_problems(rating)
        if problems:
            raise InvalidInput("Invalid rating: " + " ".join(problems))
    artifact_id = artifact_id or artifact_id_for_url(url)
    document = _artifact_document(
        content.artifact or {}, artifact_id=artifact_id, artifact_type=artifact_type, name=name, url=url
    )
    return artifact_id, ArtifactFields(
        artifact_type=artifact_type,
        url=url,
        name_normalized=name_normalized,
        artifact=_json(document, "artifact"),
        rating=None if rating is None else _json(rating, "rating"),
        **_resolve_links(artifact_id=artifact_id, dataset_id=content.dataset_id, code_id=content.code_id),
    )


def _artifact_document(artifact: Any, *, artifact_id: str, artifact_type: str, name: str, url: str) -> dict:
    """The serialized artifact in the registry's shape, which its other readers rely on:
    `metadata` {name, id, type} and `data` {url}, around whatever else the caller gave."""
    if not isinstance(artifact, dict):
        raise InvalidInput("The artifact must be a JSON object.")
    metadata, data = artifact.get("metadata", {}), artifact.get("data", {})
    if not isinstance(metadata, dict) or not isinstance(data, dict):
        raise InvalidInput("The artifact's metadata and data must be JSON objects.")
    return {
        **artifact,
        "metadata": {**metadata, "name": name, "id": artifact_id, "type": artifact_type},
        "data": {**data, "url": url},
    }


def _json(value: dict, what: str) -> str:
    try:
        # Non-ASCII kept as UTF-8: escaped, each character would cost 6 bytes of the item's 400 KB.
        return write_json(value, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"The {what} cannot be stored as JSON: {err}") from err


def _existing_links(ids: dict[str, str | None]) -> dict[str, ArtifactRecord]:
    wanted = {kind: artifact_id for kind, artifact_id in ids.items() if artifact_id}
    found = ArtifactGateway().get_many(set(wanted.values())) if wanted else {}
    return {kind: found[artifact_id] for kind, artifact_id in wanted.items() if artifact_id in found}


def _resolve_links(*, artifact_id: str, dataset_id: str | None, code_id: str | None) -> dict[str, str | None]:
    """Link attributes for a write: each linked id must be another registered artifact of its
    kind, whose name and url are copied next to the id (as the registry stores them)."""
    ids = {"dataset": dataset_id, "code": code_id}
    if artifact_id in ids.values():
        raise InvalidInput("An artifact cannot link to itself.")
    linked = _existing_links(ids)
    attributes: dict[str, str | None] = {}
    for kind in LINK_KINDS:
        target = linked.get(kind)
        if ids[kind] and (target is None or target.artifact_type != kind):
            raise InvalidInput(f"{kind}_id {ids[kind]!r} is not a registered {kind} artifact.")
        attributes[f"{kind}_id"] = ids[kind] or None
        attributes[f"{kind}_name"] = target.name if target else None
        attributes[f"{kind}_url"] = target.url if target else None
    return attributes
