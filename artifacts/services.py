"""Artifact registry operations, shared by the API, the admin and the demo data.

A url is registered at most once, urls being compared in their normalized form (`normalize_url`:
"https://HF.co/x/" and "https://hf.co/x" are one url). Two checks make that hold under
concurrency: the id of an artifact we create is derived from its normalized url
(`artifact_id_for_url`) and written with a conditional put (`attribute_not_exists`), so concurrent
creates of one url, however spelled, race for one key and exactly one wins; and before writing,
the url is looked up (url index, or a Scan without it) as written, normalized and normalized with
a trailing slash, to catch items that other writers registered under ids of their own (the index
holds urls as their writers wrote them, so an upstream spelling outside those three is not seen).
For the derived id to stay meaningful, an artifact's url never changes: a replace must keep it.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.dynamo.paging import Page
from core.dynamo.retry import retry_on_conflict
from core.errors import ConditionFailed, Conflict, InvalidInput, NotFound
from core.stored_json import write_json

from .gateway import MAX_KEY_BYTES, ArtifactFields, ArtifactGateway
from .names import MAX_NAME_LENGTH, normalize_name, normalize_url, url_spellings
from .rating import rating_problems
from .records import ARTIFACT_TYPES, LINK_KINDS, ArtifactRecord

NAME_LOOKUP_REQUESTS = 8  # pages read to find an artifact by name (a Query on the type index each)
LOOKUP_PAGE = 200


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
    """Every spelling of a url (`normalize_url`) gives one id, so concurrent creates race for one key."""
    return "art_" + hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:32]


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


def artifact_named(*, artifact_type: str, name: str, max_requests: int = NAME_LOOKUP_REQUESTS) -> list[ArtifactRecord]:
    """Artifacts of `artifact_type` whose normalized name is exactly `name`'s, or whose id is `name`;
    reads at most `max_requests` pages."""
    by_id = ArtifactGateway().get(name)
    if by_id is not None and by_id.artifact_type == artifact_type:
        return [by_id]
    wanted, found, cursor = normalize_name(name), [], None
    for _ in range(max_requests):
        page = artifact_list(artifact_type=artifact_type, name=name, cursor=cursor, limit=LOOKUP_PAGE)
        found += [record for record in page.items if record.name_normalized == wanted]
        cursor = page.next_cursor
        if cursor is None:
            break
    return found


@dataclass(frozen=True)
class LinkedModels:
    models: list[ArtifactRecord]
    complete: bool  # False: the search stopped after its budget of requests


def artifact_linked_models(
    *, record: ArtifactRecord, limit: int, max_requests: int = NAME_LOOKUP_REQUESTS
) -> LinkedModels:
    """The models that link to this dataset or code artifact (at most `limit`): pages of the
    models (the type index, or a Scan without it) filtered on the link, at most `max_requests`."""
    if record.artifact_type not in LINK_KINDS:
        return LinkedModels(models=[], complete=True)
    found: list[ArtifactRecord] = []
    cursor = None
    for _ in range(max_requests):
        page = ArtifactGateway().page(
            artifact_type="model", linked=(record.artifact_type, record.artifact_id), cursor=cursor, limit=LOOKUP_PAGE
        )
        found += page.items
        cursor = page.next_cursor
        if cursor is None or len(found) >= limit:
            break
    return LinkedModels(models=found[:limit], complete=cursor is None and len(found) <= limit)


def artifact_links(*, record: ArtifactRecord) -> dict[str, ArtifactRecord]:
    """The linked dataset and code artifacts that exist, by kind (one BatchGetItem, none without links)."""
    return _existing_links({kind: getattr(record, f"{kind}_id") for kind in LINK_KINDS})


def artifact_create(*, content: ArtifactContent) -> ArtifactRecord:
    """Register a new artifact; DuplicateUrl (409) when its url is already registered."""
    artifact_id, fields = _fields(artifact_id=None, content=content)
    gateway = ArtifactGateway()
    existing = gateway.find_by_url(url_spellings(content.url))
    if existing is not None:
        raise DuplicateUrl(f"The url is already registered as artifact {existing.artifact_id}.")
    try:
        return gateway.insert(artifact_id, fields)
    except ConditionFailed as err:
        raise DuplicateUrl(f"The url is already registered as artifact {artifact_id}.") from err


def artifact_replace(
    *, artifact_id: str, content: ArtifactContent | Callable[[ArtifactRecord], ArtifactContent]
) -> ArtifactRecord:
    """Replace what an artifact holds (its url stays); attributes other writers added are kept.

    `content` may be a function of the artifact as read, which may raise (ChangedMeanwhile) to
    refuse it: it is called on each attempt's read, and the write is conditional on every
    attribute it replaces being as read, so it never replaces what it did not see.
    """
    gateway = ArtifactGateway()
    # Given content is checked (and its links resolved) once, before any read.
    given = _fields(artifact_id=artifact_id, content=content)[1] if isinstance(content, ArtifactContent) else None

    def attempt() -> ArtifactRecord:
        current = artifact_get(artifact_id=artifact_id)
        wanted = content if isinstance(content, ArtifactContent) else content(current)
        if current.url != wanted.url:
            raise InvalidInput(
                f"The url of an artifact cannot change (it is {current.url!r}); register the new url as a new artifact."
            )
        fields = given or _fields(artifact_id=artifact_id, content=wanted)[1]
        return gateway.update(artifact_id, fields, read=current.item)

    return retry_on_conflict(attempt, what=f"Artifact {artifact_id}")


def artifact_delete(*, artifact_id: str) -> ArtifactRecord:
    """Delete an artifact and return what it held; NotFound when there is none."""
    return ArtifactGateway().delete(artifact_id)


def deletion_message(deleted: ArtifactRecord) -> str:
    """What History says of a deleted artifact, whose page is gone."""
    return f"Deleted {deleted.artifact_type or 'artifact'} “{deleted.name}” ({deleted.url})."


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
