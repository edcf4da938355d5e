"""S3 through django-storages: a private storage whose boto3 session is the project's own
(so S3 calls are seen by `watch_calls`), and translation of S3 errors."""

from contextlib import AbstractContextManager

from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from core.dynamo.connection import boto_session, client_config
from core.dynamo.errors import aws_setup_error, error_code, translated_errors
from core.errors import BucketMissing, Unavailable


class PrivateS3Storage(S3Storage):
    """Objects are private: no ACL grants, no unsigned URLs, and the same timeouts as DynamoDB."""

    default_acl = None
    querystring_auth = True
    file_overwrite = True

    def __init__(self, **settings_overrides):
        config = client_config()
        if settings_overrides.get("endpoint_url"):
            # Emulators listen on an IP address, where virtual-hosted bucket names cannot resolve.
            config = config.merge(Config(s3={"addressing_style": "path"}))
        settings_overrides.setdefault("client_config", config)
        super().__init__(**settings_overrides)

    def _create_session(self):
        return boto_session()

    def s3_client(self):
        return self.connection.meta.client


def s3_storage() -> PrivateS3Storage:
    """The S3 storage named "execution_steps" in settings.STORAGES (built once per process)."""
    return storages["execution_steps"]


def s3_endpoint() -> str:
    return settings.AWS_ENDPOINT_URL_S3 or f"AWS S3 ({settings.AWS_DEFAULT_REGION})"


def translate_s3_error(err: Exception, bucket: str) -> Exception:
    setup = aws_setup_error(err, "S3")
    if setup is not None:
        return setup
    if not isinstance(err, ClientError):
        return err
    code = error_code(err)
    if code == "NoSuchBucket":
        return BucketMissing(
            f"S3 bucket '{bucket}' does not exist at {s3_endpoint()}. Create it with `python manage.py bootstrap_aws`."
        )
    if code in {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"}:
        return Unavailable(f"S3 is failing requests to bucket '{bucket}' ({code}). Retry later.")
    if code in {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}:
        return Unavailable(f"S3 refused access to bucket '{bucket}' ({code}). Check the credentials and policy.")
    return err


def s3_errors(bucket: str) -> AbstractContextManager[None]:
    """Translate errors raised inside the block for requests to `bucket`."""
    return translated_errors(lambda err: translate_s3_error(err, bucket))
