"""What the stale-key scan reports: a finding, and the item state a repair depends on."""

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary
from django.template.defaultfilters import filesizeformat
from django.utils.timesince import timesince

from jobs.gateway import STEPS, STEPS_KEY
from jobs.steps_store import ORPHAN_GRACE_SECONDS, StoredObject

# The kinds' names (each kind is a class in kinds.py).
BOTH_PRESENT = "both_present"
DANGLING_KEY = "dangling_key"
FOREIGN_KEY = "foreign_key"
ORPHAN_OBJECT = "orphan_object"
OVERSIZE_INLINE = "oversize_inline"
DEFAULT_MIN_ORPHAN_AGE = ORPHAN_GRACE_SECONDS

# The attributes a repair is conditional on, as they were read.
WATCHED_ATTRIBUTES = (STEPS_KEY, STEPS, "updated_at")


@dataclass(frozen=True)
class ItemState:
    """Fingerprints of a job's steps pair and `updated_at` as read (None: attribute absent).

    A repair goes ahead only while a consistent read gives the same state, and its write is
    conditional on those exact values, so a worker's write in between is never overwritten."""

    key: str | None
    steps: str | None
    updated_at: str | None

    @classmethod
    def of(cls, item: dict[str, Any]) -> "ItemState":
        key, steps, updated_at = (fingerprint(item[name]) if name in item else None for name in WATCHED_ATTRIBUTES)
        return cls(key=key, steps=steps, updated_at=updated_at)


@dataclass(frozen=True)
class Finding:
    kind: str
    job_id: str
    s3_key: str | None
    detail: str  # one line
    object: StoredObject | None = None  # the S3 object at the key, as listed
    state: ItemState | None = None  # the item as scanned (None for an orphan object: no item)
    steps_count: int | None = None
    item_size: int | None = None  # oversize_inline: the item's exact DynamoDB size
    blocked: str | None = None  # why no automatic repair is offered (the finding is only reported)

    @property
    def label(self) -> str:
        from .kinds import KIND_LABELS  # the kinds build findings: looked up when asked

        return KIND_LABELS[self.kind]

    @property
    def sort_key(self) -> tuple:
        from .kinds import KINDS

        return KINDS.index(self.kind), self.job_id, self.s3_key or ""

    @property
    def order_bytes(self) -> bytes:
        """`sort_key` as bytes that compare, bytewise, as the tuple does. UTF-8 orders as code
        points do (lone surrogates kept by "surrogatepass"); the job id's NULs are escaped (00 FF)
        and it ends with 00 01, below any of its bytes, so a job id that is a prefix of another
        sorts first whatever the keys after it."""
        kind, job_id, s3_key = self.sort_key
        escaped = job_id.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff")
        return bytes([kind]) + escaped + b"\x00\x01" + s3_key.encode("utf-8", "surrogatepass")

    def as_json(self) -> dict[str, Any]:
        """The finding as `repair_stale_keys --json` and `GET /api/repairs/` print it."""
        return {"kind": self.kind, "job_id": self.job_id, "s3_key": self.s3_key, "detail": self.detail}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.object is not None and self.object.last_modified is not None:
            data["object"]["last_modified"] = self.object.last_modified.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        data = dict(data)
        if data.get("object"):
            stored = dict(data["object"])
            if stored.get("last_modified"):
                stored["last_modified"] = datetime.fromisoformat(stored["last_modified"])
            data["object"] = StoredObject(**stored)
        if data.get("state"):
            data["state"] = ItemState(**data["state"])
        return cls(**data)


def fingerprint(value: Any) -> str:
    """A digest of a DynamoDB value that tells every stored difference apart (types included)."""
    canonical = json.dumps(_typed(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _typed(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return {"X": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {"M": {key: _typed(element) for key, element in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [_typed(element) for element in value]}
    if isinstance(value, (set, frozenset)):
        return {"SET": sorted(json.dumps(_typed(element), sort_keys=True) for element in value)}
    raise TypeError(f"Cannot fingerprint a {type(value).__name__}.")


def human_size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def human_age(last_modified: datetime, now: datetime) -> str:
    seconds = int((now - last_modified).total_seconds())
    return f"{max(seconds, 0)} s" if seconds < 60 else timesince(last_modified, now, depth=1).replace("\xa0", " ")


def human_seconds(seconds: int) -> str:
    for unit, length in (("h", 3600), ("min", 60)):
        if seconds >= length and seconds % length == 0:
            return f"{seconds // length} {unit}"
    return f"{seconds} s"
