"""Settings for `make bench`: the production settings (DEBUG off; `bench.environment` sets the
environment), with three differences that keep the measurement about the work itself:

- static files are named without a `collectstatic` manifest, so that admin pages render in a
  fresh checkout;
- 4xx responses are not logged (a line on stderr per 404 would be timed with the request);
- two reference views are routed besides the project's (`bench/urls.py`).
"""

import warnings

from config.settings import *  # noqa: F403
from config.settings import LOGGING, STORAGES

warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise, without `collectstatic`

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "django.request": {"level": "ERROR"}}}
ROOT_URLCONF = "bench.urls"
