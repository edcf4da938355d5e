"""What the measurements act on besides the corpus: the API user, the typical items probed for
overhead, and the job whose steps are megabytes."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token

from core.dynamo.connection import dynamodb_table
from core.storage import s3_storage
from jobs.services import job_update
from jobs.steps_store import steps_key

from .corpus import Corpus, sample_steps
from .overhead import MAX_RATIO, Probe

PERMISSIONS = (
    "projects.view_project",
    "projects.change_project",
    "jobs.view_job",
    "jobs.change_job",
    "jobs.view_stalekeyrepair",
    "artifacts.view_artifact",
    "artifacts.change_artifact",
)


def bench_user() -> Token:
    """A staff user (not a superuser: its permissions are checked on each request) and its token."""
    user = get_user_model().objects.create_user("bench", is_staff=True)
    for perm in PERMISSIONS:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return Token.objects.create(user=user)


def typical(corpus: Corpus, location: str) -> str:
    """The job of median item size among those whose steps the corpus put at `location`."""
    sizings = sorted((s for s in corpus.sizings if s.location == location), key=lambda sizing: sizing.item_bytes)
    return sizings[len(sizings) // 2].job_id


def typical_project(corpus: Corpus, form: str) -> str:
    """The project of median item size among those whose snapshot is stored in `form`."""
    ids = sorted(corpus.projects[form], key=corpus.project_bytes.__getitem__)
    return ids[len(ids) // 2]


def overhead_probes(corpus: Corpus) -> list[Probe]:
    jobs = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    projects = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    s3 = s3_storage().s3_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    inline, offloaded = typical(corpus, "inline"), typical(corpus, "s3")
    string_project, map_project = typical_project(corpus, "string"), typical_project(corpus, "map")

    def offloaded_raw():
        jobs.get_item(Key={"job_id": offloaded}, ConsistentRead=True)
        return s3.get_object(Bucket=bucket, Key=steps_key(offloaded))["Body"].read()

    return [
        Probe(
            "`GET /api/jobs/{id}/`, inline steps (job of median size)",
            f"/api/jobs/{inline}/",
            lambda: jobs.get_item(Key={"job_id": inline}, ConsistentRead=True),
            target=MAX_RATIO,
        ),
        Probe(
            "`GET /api/projects/{id}/`, JSON-string snapshot (project of median size)",
            f"/api/projects/{string_project}/",
            lambda: projects.get_item(Key={"project_id": string_project}),
            target=MAX_RATIO,
        ),
        Probe(
            "`GET /api/projects/{id}/`, map snapshot (project of median size)",
            f"/api/projects/{map_project}/",
            lambda: projects.get_item(Key={"project_id": map_project}),
            target=MAX_RATIO,
        ),
        Probe(
            "`GET /api/jobs/{id}/`, offloaded steps (median size)",
            f"/api/jobs/{offloaded}/",
            offloaded_raw,
        ),
        Probe(
            "The API alone: `GET /api/jobs/{2,049-byte id}/`, a 404 before any AWS call",
            f"/api/jobs/{'j' * 2049}/",
            None,
            status=404,
        ),
        Probe("Reference: a DRF view answering `{}` with the API's authentication and throttles", "/bench/drf/", None),
        Probe("Reference: a plain Django view answering `{}`, same middleware", "/bench/django/", None),
    ]


def big_job(corpus: Corpus, *, megabytes: float) -> str:
    """A job of the corpus given steps of about `megabytes` MB through the service, which
    offloads them to S3."""
    job_id = corpus.jobs["inline"][-1]
    output_chars = 10_000
    count = max(1, round(megabytes * 1e6 / (output_chars + 600)))
    job_update(job_id=job_id, execution_steps=sample_steps(count, output_chars))
    return job_id
