"""What /healthz reports: each AWS dependency "ok" or what is wrong with it."""

from django.conf import settings

from core import bootstrap
from core.errors import AppError
from core.tables import TABLES


def check_health() -> dict[str, str]:
    return {"dynamodb": _dynamodb_state(), "s3": _s3_state()}


def _dynamodb_state() -> str:
    try:
        missing = [spec.name for spec in TABLES if bootstrap.table_description(spec) is None]
    except AppError as err:
        return err.detail
    if missing:
        return f"missing table(s) {', '.join(missing)}; run `python manage.py bootstrap_aws`"
    return "ok"


def _s3_state() -> str:
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    try:
        exists = bootstrap.bucket_exists(bucket)
    except AppError as err:
        return err.detail
    return "ok" if exists else f"missing bucket {bucket}; run `python manage.py bootstrap_aws`"
