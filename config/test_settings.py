"""Settings for the test suite: development mode, fake AWS credentials and no real AWS endpoint,
fixed before boto3 or the settings read the environment. Tests point AWS at moto themselves."""

import os

os.environ["DJANGO_DEBUG"] = "1"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
    os.environ.pop(name, None)

from config.settings import *  # noqa: E402,F403

# Fail fast when a test forgets to point AWS at moto, instead of retrying a real endpoint.
AWS_MAX_ATTEMPTS = 1

# Tests create many users; a fast hasher keeps the suite quick (never used outside tests).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# SQLite's test database as a file, not Django's shared-cache in-memory default: threads that write
# at once (scan segments, concurrent API writers recording History) then wait for each other's
# lock, as they do on a real database, instead of failing with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"window-test-{os.getpid()}.sqlite3")
    }
