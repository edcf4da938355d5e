"""Offloaded execution steps in S3, through django-storages.

One object per job at `jobs/{job_id}/execution_steps.json`: private, JSON, written by us
uncompressed by default; read as plain or gzip-compressed JSON (older writers and other services
use both).
"""

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError
from django.conf import settings

from core.dynamo.errors import error_code
from core.errors import ConditionFailed, InvalidInput
from core.storage import PrivateS3Storage, s3_errors, s3_storage
from core.stored_json import TooManyItems, read_json_bounded, write_json

KEY_PREFIX = "jobs/"
KEY_SUFFIX = "/execution_steps.json"
MAX_KEY_BYTES = 1024  # S3's limit for an object key, in UTF-8
# A job id becomes one S3 path segment: no "/", no "..", nothing that needs escaping.
SAFE_JOB_ID = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._:@=+-]{1,255}")
STEPS_KEY_PATTERN = re.compile(re.escape(KEY_PREFIX) + "([^/]+)" + re.escape(KEY_SUFFIX))
GZIP_MAGIC = b"\x1f\x8b"
CHUNK_BYTES = 64 * 1024
# Our uploads say so in their metadata: an upload by another of our writers may be retried over
# (its item write is conditional), another service's may not (its item write is blind).
WRITER_METADATA = "writer"
OUR_WRITER = "dynamodb-window"
# An object younger than this may be a worker's upload whose item write is still to come (upload,
# then update_item): it is never deleted as unreferenced.
ORPHAN_GRACE_SECONDS = 3600  # an object's body is read in chunks of this size
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


class StepsUnreadable(Exception):
    """The object exists but does not hold a JSON list of step objects."""


class StepsTooLarge(StepsUnreadable):
    """The object holds more than the configured bounds allow to be read: it is not served whole."""


class StepsMissing(Exception):
    """No object at the key (S3 answered 404)."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime | None = None
    version_id: str | None = None  # set when the bucket keeps versions
    etag: str | None = None  # for conditional requests (If-Match / If-None-Match)
    ours: bool = False  # uploaded by this project's writers (whose item writes are conditional)

    def younger_than(self, seconds: int, now: datetime) -> bool:
        """True when modified less than `seconds` before `now`, or when its age is unknown."""
        return self.last_modified is None or (now - self.last_modified).total_seconds() < seconds


@dataclass(frozen=True)
class ObjectPage:
    """One ListObjectsV2 response: its objects, in key order, and whether more follow."""

    objects: list[StoredObject]
    more: bool


@dataclass(frozen=True)
class LoadedSteps:
    steps: list[dict]
    object: StoredObject


def validate_job_id(job_id: str) -> str:
    if not isinstance(job_id, str) or not SAFE_JOB_ID.fullmatch(job_id):
        raise InvalidInput(
            "A job id is 1-255 characters of letters, digits and . _ : @ = + - "
            "(it names an S3 path segment: no '/', no '..')."
        )
    return job_id


def steps_key(job_id: str) -> str:
    return f"{KEY_PREFIX}{validate_job_id(job_id)}{KEY_SUFFIX}"


def job_id_of_key(key: str) -> str | None:
    """The job id in a well-formed steps key (`jobs/{job_id}/execution_steps.json`), else None."""
    match = STEPS_KEY_PATTERN.fullmatch(key) if isinstance(key, str) else None
    return match.group(1) if match and SAFE_JOB_ID.fullmatch(match.group(1)) else None


def names_nothing(key: Any) -> bool:
    """A null or empty key: it names no object, so removing it loses nothing."""
    return key is None or key == ""


def foreign_key_problem(job_id: str, key: Any) -> str | None:
    """Why a stored key is not the job's own steps key (`jobs/{job_id}/execution_steps.json`),
    or None when it is, or when it names nothing. A foreign key is never read, written or deleted
    on the job's behalf: it may name another job's object, or anything else in the bucket."""
    if names_nothing(key):
        return None
    if not isinstance(key, str):
        return f"the key is not a string but a {type(key).__name__}"
    try:
        own = steps_key(job_id)
    except InvalidInput:
        return "the job's id cannot name an S3 object, so no key is its own"
    if key == own:
        return None
    other = job_id_of_key(key)
    if other is not None:
        return f"the key {key} is job {other}'s, not this job's {own}"
    return f"the key {key[:200]!r} is not this job's {own}"


def key_names(value: Any) -> set[str]:
    """Every object key a stored key attribute could be taken to name, whatever its type: a string,
    Binary or bytes as UTF-8, and the strings inside lists, sets and maps. An object any of these
    names is never treated as unreferenced."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, bytes | bytearray):
        return {bytes(value).decode("utf-8", "replace")}
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(key_names(element) for element in value))
    return set()


def listable_key(key: str) -> bool:
    """Whether `key` could be an object of the listing of jobs/ (so a job naming it keeps it)."""
    return key.startswith(KEY_PREFIX) and len(key.encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES


def encode_steps(steps: list) -> bytes:
    try:
        return write_json(steps, separators=(",", ":")).encode("utf-8")  # Decimals exact
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"execution_steps cannot be written as JSON: {err}.") from err


def decode_steps(body: bytes | Iterable[bytes], *, content_encoding: str | None = None) -> list[dict]:
    """Parse an object's body (bytes, or chunks as they stream in); gzip is recognised by its header
    or by its magic bytes. Reading stops at EXECUTION_STEPS_MAX_BYTES of JSON and parsing at
    EXECUTION_STEPS_MAX_COUNT steps (StepsTooLarge), so a small object cannot cost much more."""
    max_bytes, max_count = settings.EXECUTION_STEPS_MAX_BYTES, settings.EXECUTION_STEPS_MAX_COUNT
    chunks = iter([body] if isinstance(body, bytes | bytearray) else body)
    head = b""
    while len(head) < len(GZIP_MAGIC) and (chunk := next(chunks, None)) is not None:
        head += chunk
    chunks = chain([head], chunks)
    gzipped = (content_encoding or "").lower() == "gzip" or head.startswith(GZIP_MAGIC)
    data = _gunzip(chunks, max_bytes) if gzipped else _read_at_most(chunks, max_bytes)
    try:
        # utf-8-sig: a byte order mark some writers add is not an error.
        text = data.decode("utf-8-sig")
        del data  # the text alone is kept while it is parsed
        steps = read_json_bounded(text, max_items=max_count)
    except UnicodeDecodeError as err:
        raise StepsUnreadable(f"not UTF-8 text: {err}") from err
    except TooManyItems as err:
        raise StepsTooLarge(f"it holds more than {max_count:,} steps (EXECUTION_STEPS_MAX_COUNT)") from err
    except ValueError as err:
        raise StepsUnreadable(str(err)) from err
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise StepsUnreadable("JSON is not a list of step objects")
    return steps


def _too_large(max_bytes: int) -> StepsTooLarge:
    return StepsTooLarge(f"it holds more than {max_bytes:,} bytes of JSON (EXECUTION_STEPS_MAX_BYTES)")


def _read_at_most(chunks: Iterable[bytes], max_bytes: int) -> bytearray:
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise _too_large(max_bytes)
    return data


def _gunzip(chunks: Iterable[bytes], max_bytes: int) -> bytearray:
    """Expand a gzip stream chunk by chunk, never holding more than `max_bytes` (+1) of output."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    data = bytearray()
    try:
        for chunk in chunks:
            pending = chunk
            while not decompressor.eof:
                # Never 0 (that would mean "no cap"): data holds at most max_bytes here.
                cap = min(CHUNK_BYTES * 16, max_bytes + 1 - len(data))
                expanded = decompressor.decompress(pending, cap)
                data += expanded
                if len(data) > max_bytes:
                    raise _too_large(max_bytes)
                pending = decompressor.unconsumed_tail
                if not pending and len(expanded) < cap:
                    break  # this chunk is used up; a full output may have more to give
    except zlib.error as err:
        raise StepsUnreadable(f"not valid gzip: {err}") from err
    if not decompressor.eof:
        raise StepsUnreadable("not valid gzip: the stream is truncated")
    return data


class ExecutionStepsStore:
    def __init__(self, storage: PrivateS3Storage | None = None):
        self.storage = storage if storage is not None else s3_storage()

    @property
    def bucket(self) -> str:
        return self.storage.bucket_name

    def save(
        self,
        job_id: str,
        steps: list,
        *,
        compress: bool = False,
        if_absent: bool = False,
        if_match: str | None = None,
    ) -> StoredObject:
        """Upload the steps (one PutObject on the storage's connection, so that the new version's
        id, when the bucket keeps versions, comes back with the write itself). `compress` writes
        gzip with `Content-Encoding: gzip`, as some other writers do. Our writers always make it an
        S3 conditional write: `if_absent` (If-None-Match: *) never replaces an object, `if_match`
        (an ETag read) replaces only that object; otherwise ConditionFailed."""
        key = steps_key(job_id)
        body = encode_steps(steps)
        extra = {"ContentEncoding": "gzip"} if compress else {}
        if compress:
            body = gzip.compress(body, mtime=0)
        if if_absent:
            extra["IfNoneMatch"] = "*"
        if if_match is not None:
            extra["IfMatch"] = if_match
        with self._conditional(key), s3_errors(self.bucket):
            response = self.storage.s3_client().put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                Metadata={WRITER_METADATA: OUR_WRITER},
                **extra,
            )
        return StoredObject(
            key=key, size=len(body), version_id=_version(response), etag=response.get("ETag"), ours=True
        )

    def delete_version(self, key: str, version_id: str) -> None:
        """Drop one version, so that the one before it is current again (an undo of `save`)."""
        with s3_errors(self.bucket):
            self.storage.s3_client().delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)

    def delete_exactly(self, stored: StoredObject) -> None:
        """Delete the very object that was read: its version when the bucket keeps versions (a later
        upload to the key is another version, untouched), else only while its ETag is unchanged."""
        if stored.version_id:
            self.delete_version(stored.key, stored.version_id)
        else:
            self.delete(stored.key, if_match=stored.etag)

    def read(self, key: str) -> LoadedSteps:
        """The steps at `key` and the object's size (from the same GetObject). Raises StepsMissing
        (404), StepsUnreadable (bad content, or another refusal such as an archived object), or
        Unavailable (S3 unreachable, forbidden or throttling: never taken for "missing")."""
        try:
            with s3_errors(self.bucket):
                response = self.storage.s3_client().get_object(Bucket=self.bucket, Key=key)
                body = response["Body"]
                with closing(body):  # a body refused before its end is not downloaded further
                    steps = decode_steps(
                        body.iter_chunks(CHUNK_BYTES), content_encoding=response.get("ContentEncoding")
                    )
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                raise StepsMissing(f"no object at s3://{self.bucket}/{key}") from err
            raise StepsUnreadable(f"S3 refused to return it ({error_code(err)})") from err
        stored = StoredObject(
            key=key,
            size=response["ContentLength"],
            last_modified=response.get("LastModified"),
            version_id=_version(response),
            etag=response.get("ETag"),
        )
        return LoadedSteps(steps=steps, object=stored)

    def load(self, key: str) -> list[dict]:
        """The steps at `key` (see `read`)."""
        return self.read(key).steps

    def head(self, key: str) -> StoredObject | None:
        """Size and age of the object, or None when S3 answers 404 (403 raises Unavailable)."""
        try:
            with s3_errors(self.bucket):
                response = self.storage.s3_client().head_object(Bucket=self.bucket, Key=key)
        except ClientError as err:
            if error_code(err) in NOT_FOUND_CODES:
                return None
            raise
        return StoredObject(
            key=key,
            size=response["ContentLength"],
            last_modified=response.get("LastModified"),
            version_id=_version(response),
            etag=response.get("ETag"),
            ours=response.get("Metadata", {}).get(WRITER_METADATA) == OUR_WRITER,
        )

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Delete the object; with `if_match` (an ETag) only while it is still that object, else
        ConditionFailed (so an object rewritten since it was read is never deleted)."""
        if if_match is None:
            with s3_errors(self.bucket):
                self.storage.delete(key)
            return
        with self._conditional(key), s3_errors(self.bucket):
            self.storage.s3_client().delete_object(Bucket=self.bucket, Key=key, IfMatch=if_match)

    def list_objects(self, prefix: str = KEY_PREFIX) -> Iterator[StoredObject]:
        for page in self.list_pages(prefix):
            yield from page.objects

    def list_pages(self, prefix: str = KEY_PREFIX, *, start_after: str | None = None) -> Iterator[ObjectPage]:
        """The objects under `prefix` in key order, one ListObjectsV2 page (up to 1,000) at a time;
        with `start_after`, only those after that key (a listing resumed where it stopped)."""
        paginator = self.storage.s3_client().get_paginator("list_objects_v2")
        after = {"StartAfter": start_after} if start_after else {}
        with s3_errors(self.bucket):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, **after):
                objects = [
                    StoredObject(
                        key=entry["Key"],
                        size=entry["Size"],
                        last_modified=entry["LastModified"],
                        etag=entry.get("ETag"),
                    )
                    for entry in page.get("Contents", [])
                ]
                yield ObjectPage(objects=objects, more=bool(page.get("IsTruncated")))

    @contextmanager
    def _conditional(self, key: str) -> Iterator[None]:
        """A failed S3 precondition (or a 404 on a conditional delete) means the object is not as read."""
        try:
            yield
        except ClientError as err:
            if error_code(err) in {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404"}:
                raise ConditionFailed(f"The S3 object {key} is not as it was read.") from err
            raise


def _version(response: dict) -> str | None:
    """The object's version id; None when the bucket does not keep versions (S3 says "null")."""
    version_id = response.get("VersionId")
    return None if version_id in (None, "null") else version_id
