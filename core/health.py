"""What /healthz reports: for each AWS dependency a state word ("ok", "missing" or
"unavailable") and, for staff, what is wrong with it and the fix.

The report is kept in Django's cache for HEALTHZ_CACHE_SECONDS, so that load balancers polling
every second from many places cost AWS a few requests per interval, not one per poll. Healthy, it
costs two: one BatchGetItem of an absent key in each table (a missing table fails it, and only
then is each table described to name it) and one HeadBucket.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core import bootstrap
from core.dynamo.connection import dynamodb_client
from core.dynamo.errors import dynamodb_errors
from core.errors import AppError, BucketMissing, TableMissing
from core.tables import TABLES

CACHE_KEY = "healthz:report"
PROBE_KEY = "healthz probe: no item has this key"


@dataclass(frozen=True)
class PartHealth:
    state: str  # "ok", "missing" or "unavailable": all an anonymous caller learns
    detail: str  # what is wrong and the fix (for staff)

    @classmethod
    def failed(cls, err: AppError) -> "PartHealth":
        return cls("missing" if isinstance(err, TableMissing | BucketMissing) else "unavailable", err.detail)


OK = PartHealth("ok", "ok")


def health_report() -> dict[str, PartHealth]:
    report = cache.get(CACHE_KEY)
    if report is None:
        report = {"dynamodb": _dynamodb_health(), "s3": _s3_health()}
        cache.set(CACHE_KEY, report, settings.HEALTHZ_CACHE_SECONDS)
    return report


def _dynamodb_health() -> PartHealth:
    names = ", ".join(spec.name for spec in TABLES)
    try:
        with dynamodb_errors(names):
            dynamodb_client().batch_get_item(
                RequestItems={spec.name: {"Keys": [{spec.key: PROBE_KEY}]} for spec in TABLES}
            )
    except TableMissing:
        return _missing_tables()
    except AppError as err:
        return PartHealth.failed(err)
    return OK


def _missing_tables() -> PartHealth:
    try:
        missing = [spec.name for spec in TABLES if bootstrap.table_description(spec) is None]
    except AppError as err:
        return PartHealth.failed(err)
    if not missing:  # created since the probe
        return OK
    return PartHealth("missing", f"missing table(s) {', '.join(missing)}; run `python manage.py bootstrap_aws`")


def _s3_health() -> PartHealth:
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    try:
        exists = bootstrap.bucket_exists(bucket)
    except AppError as err:
        return PartHealth.failed(err)
    if not exists:
        return PartHealth("missing", f"missing bucket {bucket}; run `python manage.py bootstrap_aws`")
    return OK
