"""AWS round trips of every admin page, API endpoint and write, counted with `watch_calls()`
(botocore's `before-call` hook on every client the project builds), with the bytes received.

Each operation has a target: the requests the work needs and nothing more. A list page is one
DynamoDB request and no S3 request (a filtered one reads on until it is full, up to
LIST_MAX_REQUESTS requests); a detail page one GetItem (and one S3 GetObject when the
steps are offloaded); a write what its conditional update needs.
"""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.admin.utils import quote
from django.test import Client

from core.dynamo.connection import dynamodb_client, dynamodb_table, watch_calls
from core.storage import s3_storage

from .corpus import Corpus, sample_steps
from .probes import response_bytes

LIST = ("dynamodb:Scan",)
GET = ("dynamodb:GetItem",)


@dataclass(frozen=True)
class Operation:
    surface: str  # "Admin", "API" or "Write"
    name: str
    method: str
    path: str
    target: tuple[str, ...]  # "service:Operation", one per request
    body: dict | None = None
    status: int = 200
    note: str = ""
    # A filtered list: the target's last request may repeat up to this many times in all
    # (a filtered page reads on until it is full, up to LIST_MAX_REQUESTS requests).
    pages_up_to: int = 1

    @property
    def target_text(self) -> str:
        if self.pages_up_to == 1:
            return describe(self.target)
        *fixed, repeated = self.target
        pages = f"{describe((repeated,))} ×1–{self.pages_up_to}"
        return f"{describe(tuple(fixed))} + {pages}" if fixed else pages


@dataclass(frozen=True)
class RoundTrip:
    operation: Operation
    calls: tuple[str, ...]
    bytes_received: int
    status: int

    @property
    def passed(self) -> bool:
        if self.status != self.operation.status:
            return False
        target, calls = Counter(self.operation.target), Counter(self.calls)
        if self.operation.pages_up_to == 1:
            return calls == target
        repeated = self.operation.target[-1]
        extra = calls[repeated] - target[repeated]
        calls[repeated] = target[repeated]
        return calls == target and 0 <= extra < self.operation.pages_up_to


def describe(calls: tuple[str, ...]) -> str:
    """Calls as a phrase: GetItem, GetItem, s3 GetObject -> "GetItem ×2 + S3 GetObject"."""
    if not calls:
        return "none"
    counts = Counter(calls)
    parts = []
    for call, count in counts.items():
        service, operation = call.split(":")
        name = operation if service == "dynamodb" else f"{service.upper()} {operation}"
        parts.append(name if count == 1 else f"{name} ×{count}")
    return " + ".join(parts)


def measure(operations: list[Operation], *, api: Client, admin: Client) -> list[RoundTrip]:
    results = []
    s3 = s3_storage().s3_client()
    for operation in operations:
        client = admin if operation.surface == "Admin" else api
        body = {} if operation.body is None else {"data": operation.body, "content_type": "application/json"}
        with watch_calls() as calls, response_bytes(dynamodb_client(), s3) as meter:
            response = getattr(client, operation.method.lower())(operation.path, **body)
        results.append(
            RoundTrip(
                operation=operation,
                calls=tuple(f"{service}:{name}" for service, name in calls),
                bytes_received=meter.bytes,
                status=response.status_code,
            )
        )
    return results


def operations(corpus: Corpus, *, api: Client) -> list[Operation]:
    """Every operation, on corpus items chosen by shape (`api` fetches a next-page link first)."""
    FILTERED = {"pages_up_to": settings.LIST_MAX_REQUESTS}  # noqa: N806
    projects, jobs, artifacts = corpus.projects, corpus.jobs, corpus.artifacts
    project, map_project = projects["string"][0], projects["map"][0]
    inline_job, offloaded_job, gzip_job = jobs["inline"][0], jobs["s3"][0], jobs["s3_gzip"][0]
    model = corpus.linked_models[0]
    dataset = artifacts["dataset"][0]
    registry = dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE)
    dataset_url = registry.get_item(Key={"artifact_id": dataset})["Item"]["url"]
    small_steps = sample_steps(3, 400)
    large_steps = sample_steps(60, 6000)  # about 400 KB: offloaded
    new_model = {"artifact_type": "model", "name": "Bench model", "url": "https://huggingface.co/bench/bench-model"}
    linked_model = {
        "artifact_type": "model",
        "name": "Bench linked model",
        "url": "https://huggingface.co/bench/bench-linked-model",
        "dataset_id": dataset,
        "code_id": artifacts["code"][0],
        "rating": {"net_score": 0.5, "license": 1},
    }
    next_page = urlsplit(api.get("/api/projects/").json()["next"])
    replaced = artifacts["dataset"][1]
    replacement = registry.get_item(Key={"artifact_id": replaced})["Item"]
    return [
        # ---- admin pages ----
        Operation("Admin", "Projects list", "GET", "/admin/projects/project/", LIST),
        Operation(
            "Admin", "Projects list, status filter", "GET", "/admin/projects/project/?status=failed", LIST, **FILTERED
        ),
        Operation("Admin", "Project detail (JSON-string snapshot)", "GET", _admin("projects/project", project), GET),
        Operation("Admin", "Project detail (map snapshot)", "GET", _admin("projects/project", map_project), GET),
        Operation("Admin", "Jobs list", "GET", "/admin/jobs/job/", LIST),
        Operation(
            "Admin",
            "Jobs list, status and location filters",
            "GET",
            "/admin/jobs/job/?status=completed&location=s3",
            LIST,
            **FILTERED,
        ),
        Operation(
            "Admin",
            "Jobs list, whole id search",
            "GET",
            f"/admin/jobs/job/?q={urlquote(inline_job, safe='')}",
            GET,
            note="a whole id is one GetItem",
        ),
        Operation(
            "Admin",
            "Jobs list, part of an id",
            "GET",
            "/admin/jobs/job/?q=job_0",
            (*GET, *LIST),
            note="no job has this id: a filtered Scan",
            **FILTERED,
        ),
        Operation("Admin", "Job detail, inline steps", "GET", _admin("jobs/job", inline_job), GET),
        Operation(
            "Admin", "Job detail, offloaded steps", "GET", _admin("jobs/job", offloaded_job), (*GET, "s3:GetObject")
        ),
        Operation(
            "Admin", "Job detail, offloaded gzip steps", "GET", _admin("jobs/job", gzip_job), (*GET, "s3:GetObject")
        ),
        Operation("Admin", "Artifacts list", "GET", "/admin/artifacts/artifact/", LIST),
        Operation(
            "Admin",
            "Artifacts list, type filter (index)",
            "GET",
            "/admin/artifacts/artifact/?artifact_type=model",
            ("dynamodb:Query",),
        ),
        Operation(
            "Admin",
            "Artifacts list, name search",
            "GET",
            "/admin/artifacts/artifact/?q=Llama",
            (*GET, *LIST),
            note="not an id (one GetItem): a filtered Scan",
            **FILTERED,
        ),
        Operation(
            "Admin",
            "Artifact detail (model with two links)",
            "GET",
            _admin("artifacts/artifact", model),
            (*GET, "dynamodb:BatchGetItem"),
            note="the links' names and urls in one BatchGetItem",
        ),
        Operation("Admin", "Stage artifacts list", "GET", "/admin/artifacts/artifact/stage-artifacts/", LIST),
        Operation(
            "Admin",
            "Stale key repairs (the latest scan's findings)",
            "GET",
            "/admin/jobs/stalekeyrepair/",
            (),
            note="read from the recorded scan: no AWS request, whatever the table's size",
        ),
        # ---- API reads ----
        Operation("API", "GET /api/projects/", "GET", "/api/projects/", LIST),
        Operation("API", "GET /api/projects/ (next page)", "GET", f"{next_page.path}?{next_page.query}", LIST),
        Operation("API", "GET /api/projects/?status=", "GET", "/api/projects/?status=running", LIST, **FILTERED),
        Operation("API", "GET /api/projects/{id}/ (JSON string)", "GET", f"/api/projects/{project}/", GET),
        Operation("API", "GET /api/projects/{id}/ (map)", "GET", f"/api/projects/{map_project}/", GET),
        Operation("API", "GET /api/jobs/", "GET", "/api/jobs/", LIST),
        Operation(
            "API",
            "GET /api/jobs/?status=&location=",
            "GET",
            "/api/jobs/?status=completed&location=inline",
            LIST,
            **FILTERED,
        ),
        Operation("API", "GET /api/jobs/{id}/ (inline)", "GET", f"/api/jobs/{inline_job}/", GET),
        Operation(
            "API", "GET /api/jobs/{id}/ (offloaded)", "GET", f"/api/jobs/{offloaded_job}/", (*GET, "s3:GetObject")
        ),
        Operation(
            "API", "GET /api/jobs/{id}/ (offloaded, gzip)", "GET", f"/api/jobs/{gzip_job}/", (*GET, "s3:GetObject")
        ),
        Operation("API", "GET /api/artifacts/", "GET", "/api/artifacts/", LIST),
        Operation(
            "API",
            "GET /api/artifacts/?artifact_type= (index)",
            "GET",
            "/api/artifacts/?artifact_type=dataset",
            ("dynamodb:Query",),
        ),
        Operation(
            "API",
            "GET /api/artifacts/?url= (index)",
            "GET",
            f"/api/artifacts/?url={urlquote(dataset_url, safe='')}",
            ("dynamodb:Query",),
        ),
        Operation("API", "GET /api/artifacts/?name=", "GET", "/api/artifacts/?name=whisper", LIST, **FILTERED),
        Operation("API", "GET /api/artifacts/{id}/", "GET", f"/api/artifacts/{model}/", GET),
        Operation("API", "GET /api/repairs/", "GET", "/api/repairs/", (), note="as the admin page"),
        Operation(
            "API",
            "GET /healthz",
            "GET",
            "/healthz",
            ("dynamodb:BatchGetItem", "s3:HeadBucket"),
            note="one probe of the three tables, one of the bucket; then reused for HEALTHZ_CACHE_SECONDS",
        ),
        Operation("API", "GET /api/schema/", "GET", "/api/schema/", ()),
        # ---- writes ----
        Operation(
            "Write",
            "PATCH /api/projects/{id}/",
            "PATCH",
            f"/api/projects/{projects['string'][1]}/",
            ("dynamodb:UpdateItem",),
            body={"status": "running", "current_stage": "agent_designer"},
            note="a blind conditional update of the given attributes",
        ),
        Operation(
            "Write",
            "PATCH /api/projects/{id}/stages/{stage}/",
            "PATCH",
            f"/api/projects/{projects['string'][1]}/stages/agent_designer/",
            ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            body={"status": "completed", "logs": ["bench: stage done"]},
            note="read the snapshot, write it conditional on what was read",
        ),
        Operation(
            "Write",
            "PUT /api/projects/{id}/stages/{stage}/artifacts/",
            "PUT",
            f"/api/projects/{projects['map'][1]}/stages/prompt_engineer/artifacts/",
            ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            body={"artifacts": ["prompts/bench/bench.yaml"]},
            note="as above",
        ),
        Operation(
            "Write",
            "PATCH /api/jobs/{id}/ attributes (inline job)",
            "PATCH",
            f"/api/jobs/{jobs['inline'][1]}/",
            ("dynamodb:UpdateItem",),
            body={"status": "completed"},
        ),
        Operation(
            "Write",
            "PATCH /api/jobs/{id}/ attributes (offloaded job)",
            "PATCH",
            f"/api/jobs/{jobs['s3'][1]}/",
            ("dynamodb:UpdateItem", "s3:GetObject"),
            body={"status": "completed"},
            note="the response carries the job's steps, read from S3",
        ),
        Operation(
            "Write",
            "PATCH /api/jobs/{id}/ small steps (inline)",
            "PATCH",
            f"/api/jobs/{jobs['inline'][2]}/",
            ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            body={"execution_steps": small_steps},
            note="read (the item's size and key), conditional update",
        ),
        Operation(
            "Write",
            "PATCH /api/jobs/{id}/ large steps (offloaded)",
            "PATCH",
            f"/api/jobs/{jobs['inline'][3]}/",
            ("dynamodb:GetItem", "s3:PutObject", "dynamodb:UpdateItem"),
            body={"execution_steps": large_steps},
            note="read, upload, conditional update pointing at the object",
        ),
        Operation(
            "Write",
            "PATCH /api/jobs/{id}/ small steps on an offloaded job",
            "PATCH",
            f"/api/jobs/{jobs['s3'][2]}/",
            ("dynamodb:GetItem", "s3:HeadObject", "dynamodb:UpdateItem"),
            body={"execution_steps": small_steps},
            note="the object's version is taken before the update removes the key; an object younger than the "
            "orphan grace age (as here) is left to the orphan repair, an older one costs a re-read and a "
            "DeleteObject of that version",
        ),
        Operation(
            "Write",
            "POST /api/artifacts/",
            "POST",
            "/api/artifacts/",
            ("dynamodb:Query", "dynamodb:PutItem"),
            body=new_model,
            status=201,
            note="url lookup on the index, conditional put",
        ),
        Operation(
            "Write",
            "POST /api/artifacts/ with dataset and code links",
            "POST",
            "/api/artifacts/",
            ("dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem"),
            body=linked_model,
            status=201,
            note="+ one BatchGetItem for both links",
        ),
        Operation(
            "Write",
            "PUT /api/artifacts/{id}/",
            "PUT",
            f"/api/artifacts/{replaced}/",
            ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            body={"artifact_type": "dataset", "name": "Renamed dataset", "url": replacement["url"]},
            note="read (the url must not change), conditional update",
        ),
        Operation(
            "Write",
            "DELETE /api/artifacts/{id}/",
            "DELETE",
            f"/api/artifacts/{artifacts['code'][1]}/",
            ("dynamodb:DeleteItem",),
            status=204,
        ),
    ]


def _admin(model: str, object_id: str) -> str:
    return f"/admin/{model}/{quote(object_id)}/change/"
