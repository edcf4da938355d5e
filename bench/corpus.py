"""A realistic, reproducible corpus in the contract's formats, written the way the upstream
services write it: batch puts straight to the tables and S3 uploads, including offloaded steps
(plain and gzip), every kind of stale key, malformed snapshots and registry ids of both origins.

Everything is drawn from one `random.Random(seed)`, in a fixed order: the same sizes and seed
give the same items, byte for byte.
"""

import gzip
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from artifacts.names import normalize_name
from artifacts.rating import DEVICE_SCORES, LATENCY_SUFFIX, SCORES
from artifacts.services import artifact_id_for_url
from core.dynamo.connection import dynamodb_table
from core.dynamo.item_size import item_size
from core.dynamo.values import to_dynamodb
from core.storage import s3_storage
from jobs.gateway import STEPS, STEPS_KEY
from jobs.steps_store import steps_key
from projects.demo import PIPELINE
from projects.snapshot import encode

STAGES = PIPELINE  # the demo's six stages, with their display names
STEP_PLAN = (
    ("Research the audience", "ai_generation"),
    ("Outline the guide", "ai_generation"),
    ("Write the sections", "ai_generation"),
    ("Call the search tool", "tool_call"),
    ("Design the HTML page", "html_generation"),
    ("Upload artifacts", "s3_upload"),
    ("Notify the webhook", "webhook"),
)
VOCABULARY = (
    "agent stage build prompt model dataset tool result review draft section plan table query cache "
    "latency budget invoice travel recipe contract support clinic patient reminder summary score "
    "test deploy schema index cursor page retry worker upload object bucket key value stream token usage"
)
CJK_SENTENCES = (
    "根据预算和天数生成行程。",
    "审阅采购合同，标出违约责任与付款条款中的风险。",
    "提取发票中的总额与增值税。",
    "为诊所撰写首次就诊提醒。",
    "生成的工具通过了全部自测。",
)
MODEL_FAMILIES = ("bert-base", "Llama 3.1", "Whisper", "ResNet", "T5", "Qwen2.5", "Mistral", "通义千问", "ＧＰＴ２")
DATASET_FAMILIES = ("squad", "bookcorpus", "librispeech_asr", "imagenet-1k", "wikitext", "c4", "中文维基")
CODE_FAMILIES = ("transformers", "vision", "whisper", "fairseq", "lit-gpt", "diffusers")
ORGS = ("google", "meta-llama", "openai", "microsoft", "Qwen", "mistralai", "bench-lab")

# Shares of the Jobs table: a job's steps are drawn from one of these shapes (the rest are small).
NO_STEPS_SHARE = 0.03  # pending jobs
MEDIUM_SHARE = 0.02  # tens of steps, 30-300 KB: near the offload margin
LARGE_SHARE = 0.03  # long runs, 120 KB to 1.3 MB: mostly offloaded
CJK_SHARE = 0.2  # jobs whose outputs are Chinese text
STALE_SHARE = 0.002  # of the jobs, for each stale-key kind
GZIP_EVERY = 5  # every fifth offloaded object is written gzip-compressed (by another writer)
LONG_RUNS = 5  # jobs whose steps are always offloaded, so that small corpora have some too
BIG_RESULT_SHARE = 0.01  # completed jobs keeping a generated page (60-160 KB) in `result`
ARTIFACT_MIX = (("dataset", 0.3), ("code", 0.2), ("model", 0.5))
S3_UPLOAD_THREADS = 4
START = datetime(2025, 11, 1, tzinfo=UTC)

Upload = tuple[str, bytes, bool]  # key, JSON body, whether to store it gzip-compressed


@dataclass(frozen=True)
class CorpusSize:
    projects: int = 2000
    jobs: int = 10000
    artifacts: int = 2000
    seed: int = 20251107

    @classmethod
    def scaled(cls, scale: float, *, seed: int | None = None) -> "CorpusSize":
        full = cls()
        return cls(
            projects=max(10, round(full.projects * scale)),
            jobs=max(200, round(full.jobs * scale)),
            artifacts=max(20, round(full.artifacts * scale)),
            seed=full.seed if seed is None else seed,
        )


@dataclass(frozen=True)
class JobSizing:
    """One job's steps, sized both ways: the exact DynamoDB size of the item holding them inline,
    and the upstream worker's estimate (`len(json.dumps(steps)) * 1.1`, of the steps alone)."""

    job_id: str
    item_bytes: int
    estimate_bytes: int
    location: str  # where the corpus put them: "inline" or "s3"


@dataclass
class Corpus:
    size: CorpusSize
    projects: dict[str, list[str]] = field(default_factory=dict)  # storage form -> ids
    project_bytes: dict[str, int] = field(default_factory=dict)  # id -> item size
    jobs: dict[str, list[str]] = field(default_factory=dict)  # shape -> ids
    orphan_keys: list[str] = field(default_factory=list)
    artifacts: dict[str, list[str]] = field(default_factory=dict)  # artifact type -> ids
    linked_models: list[str] = field(default_factory=list)  # models with a dataset and a code link
    sizings: list[JobSizing] = field(default_factory=list)
    # Items the estimate keeps inline while the exact size offloads them (steps inline, as the
    # estimating writer would put them): the cases where the two rules disagree dangerously.
    disputed_items: list[dict] = field(default_factory=list)


class Text:
    """Deterministic filler text: slices of one pool of words (or of Chinese sentences)."""

    def __init__(self, rng: random.Random, pool_chars: int = 1 << 20):
        vocabulary, words, length = VOCABULARY.split(), [], 0
        while length < pool_chars:
            word = rng.choice(vocabulary)
            words.append(word)
            length += len(word) + 1
        self.latin = " ".join(words)
        self.cjk = "".join(rng.choice(CJK_SENTENCES) for _ in range(pool_chars // 12))
        self.rng = rng

    def take(self, chars: int, *, cjk: bool = False) -> str:
        pool = self.cjk if cjk else self.latin
        chars = min(chars, len(pool))
        start = self.rng.randrange(len(pool) - chars + 1)
        return pool[start : start + chars]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def moment(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.randrange(30 * 86400))


def load(size: CorpusSize) -> Corpus:
    rng = random.Random(size.seed)
    text = Text(rng)
    corpus = Corpus(size=size)
    _load_projects(rng, text, corpus)
    _load_jobs(rng, text, corpus)
    _load_artifacts(rng, corpus)
    return corpus


# ---- projects ----


def make_snapshot(rng: random.Random, text: Text, started: datetime) -> dict:
    done = rng.randrange(len(STAGES) + 1)
    failed = done < len(STAGES) and rng.random() < 0.15
    clock = started
    stages = []
    for number, (stage, name) in enumerate(STAGES, start=1):
        if number <= done:
            status = "completed"
        elif number == done + 1:
            status = "failed" if failed else "running"
        else:
            status = "pending"
        entry: dict[str, Any] = {"stage": stage, "stage_number": number, "stage_name": name, "status": status}
        if status != "pending":
            entry["started_at"] = iso(clock)
            entry["logs"] = [f"{iso(clock)} {text.take(rng.randrange(30, 120))}" for _ in range(rng.randrange(1, 8))]
        if status in {"completed", "failed"}:
            clock += timedelta(minutes=rng.randrange(2, 40))
            entry["completed_at"] = iso(clock)
        if status == "completed":
            entry["output_data"] = {
                "artifacts": [f"projects/build_{number}/{stage}/file_{n}.md" for n in range(rng.randrange(1, 4))],
                "tokens": rng.randrange(500, 40_000),  # a field the contract does not name: kept as is
            }
        if status == "failed":
            entry["error"] = f"{stage}: generated tool failed its self-test ({rng.randrange(1, 5)} of 12 cases)."
        stages.append(entry)
    return {"total": len(stages), "completed": done, "stages": stages}


def project_status(snapshot: dict) -> str:
    statuses = {stage["status"] for stage in snapshot["stages"]}
    for status in ("failed", "running"):
        if status in statuses:
            return status
    return "completed" if statuses == {"completed"} else "pending"


def _load_projects(rng: random.Random, text: Text, corpus: Corpus) -> None:
    corpus.projects = {"string": [], "map": [], "malformed": []}
    with dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).batch_writer() as batch:
        for _ in range(corpus.size.projects):
            project_id = f"proj_{rng.getrandbits(48):012x}"
            created = moment(rng)
            snapshot = make_snapshot(rng, text, created)
            form = "malformed" if rng.random() < 0.005 else rng.choice(("string", "map"))
            if form == "malformed":
                stored = encode(snapshot, "string")[: rng.randrange(10, 200)]  # a writer cut short
            else:
                stored = encode(snapshot, form)
            running = [stage["stage"] for stage in snapshot["stages"] if stage["status"] in {"running", "failed"}]
            item = {
                "project_id": project_id,
                "status": project_status(snapshot),
                "requirement": text.take(rng.randrange(40, 300), cjk=rng.random() < 0.3),
                "created_at": iso(created),
                "updated_at": iso(created + timedelta(minutes=rng.randrange(5, 300))),
                "progress": snapshot["completed"] * 100 // snapshot["total"],
                "stages_snapshot": stored,
            }
            if running:
                item["current_stage"] = running[0]
            stored_item = to_dynamodb(item)
            batch.put_item(Item=stored_item)
            corpus.projects[form].append(project_id)
            corpus.project_bytes[project_id] = item_size(stored_item)


# ---- jobs ----


def make_steps(rng: random.Random, text: Text, count: int, output: tuple[int, int], *, cjk: bool) -> list[dict]:
    clock = moment(rng)
    steps = []
    for number in range(1, count + 1):
        name, step_type = STEP_PLAN[(number - 1) % len(STEP_PLAN)]
        duration = rng.randrange(200, 90_000)
        chars = rng.randrange(*output)
        steps.append(
            {
                "step_order": number,
                "step_name": name,
                "step_type": step_type,
                "status": "completed",
                "started_at": iso(clock),
                "duration_ms": duration,
                "input": {"instructions": text.take(rng.randrange(60, 240)), "model": "gpt-4o"},
                "output": text.take(chars, cjk=cjk),
                "usage_info": {
                    "input_tokens": rng.randrange(100, 9000),
                    "output_tokens": chars // 4,
                    "cost_usd": round(rng.random() / 20, 5),
                },
            }
        )
        clock += timedelta(milliseconds=duration)
    return steps


def sample_steps(count: int, output_chars: int) -> list[dict]:
    """`count` steps with outputs of `output_chars` characters, for the benchmark's own writes."""
    rng = random.Random(count * output_chars)
    return make_steps(rng, Text(rng, pool_chars=output_chars * 4), count, (output_chars, output_chars + 1), cjk=False)


def job_item(rng: random.Random, text: Text, job_id: str, status: str) -> dict:
    created = moment(rng)
    item = {
        "job_id": job_id,
        "status": status,
        "created_at": iso(created),
        "updated_at": iso(created + timedelta(seconds=rng.randrange(10, 3600))),
    }
    if status == "completed":
        item["artifacts"] = [f"artifacts/{job_id}/lead-magnet.html", f"artifacts/{job_id}/lead-magnet.pdf"]
        if rng.random() < 0.3:
            big = rng.random() < BIG_RESULT_SHARE / 0.3
            item["result"] = text.take(rng.randrange(60_000, 160_000) if big else rng.randrange(200, 8_000))
    if status == "failed":
        item["error"] = "The model returned an empty answer after 3 attempts."
    return item


def steps_estimate(steps: list) -> int:
    """The upstream worker's size estimate (seed 003): JSON bytes of the steps, plus 10%."""
    return int(len(json.dumps(steps, default=str).encode("utf-8")) * 1.1)


def _draw_steps(rng: random.Random, text: Text, *, long_run: bool) -> list[dict] | None:
    shape = rng.random()
    cjk = rng.random() < CJK_SHARE
    if long_run:
        return make_steps(rng, text, rng.randrange(60, 150), (6000, 9000), cjk=cjk)
    if shape < NO_STEPS_SHARE:
        return None
    if shape < NO_STEPS_SHARE + MEDIUM_SHARE:
        return make_steps(rng, text, rng.randrange(20, 60), (1500, 5000), cjk=cjk)
    if shape < NO_STEPS_SHARE + MEDIUM_SHARE + LARGE_SHARE:
        return make_steps(rng, text, rng.randrange(40, 150), (3000, 9000), cjk=cjk)
    return make_steps(rng, text, rng.randrange(2, 8), (100, 1000), cjk=cjk)


def _oversize_steps(rng: random.Random, text: Text, item: dict, margin: int) -> list[dict]:
    """Inline steps that take the item past the offload margin yet keep it under moto's 405,000
    byte cap (an older writer's item, before offloading existed)."""
    target = rng.randrange(margin + 4096, 385_000)
    steps: list[dict] = []
    while item_size(to_dynamodb({**item, STEPS: steps})) < target:
        steps += make_steps(rng, text, 1, (4000, 6000), cjk=False)
    for number, step in enumerate(steps, start=1):
        step["step_order"] = number
    return steps


def _load_jobs(rng: random.Random, text: Text, corpus: Corpus) -> None:
    margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
    shapes = ("inline", "s3", "s3_gzip", "none", "both_present", "dangling_key", "oversize_inline")
    corpus.jobs = {shape: [] for shape in shapes}
    stale = max(1, round(corpus.size.jobs * STALE_SHARE))
    uploads: list[Upload] = []
    plan = ["both_present", "dangling_key", "oversize_inline"] * stale + ["long_run"] * LONG_RUNS
    plan += [None] * (corpus.size.jobs - len(plan))
    rng.shuffle(plan)
    with dynamodb_table(settings.DYNAMODB_JOBS_TABLE).batch_writer() as batch:
        for kind in plan:
            job_id = f"job_{rng.getrandbits(64):016x}"
            status = rng.choice(("completed", "completed", "completed", "running", "failed"))
            item = job_item(rng, text, job_id, status)
            if kind == "oversize_inline":
                item.pop("result", None)
                item[STEPS] = _oversize_steps(rng, text, item, margin)
            elif kind == "both_present":
                uploads.append((steps_key(job_id), _body(make_steps(rng, text, 8, (200, 900), cjk=False)), False))
                item[STEPS] = make_steps(rng, text, 3, (100, 600), cjk=False)
                item[STEPS_KEY] = steps_key(job_id)
            elif kind == "dangling_key":
                item[STEPS_KEY] = steps_key(job_id)
            else:
                kind = _place_steps(rng, text, corpus, item, margin, uploads, long_run=kind == "long_run")
            batch.put_item(Item=to_dynamodb(item))
            corpus.jobs[kind].append(job_id)
    for _ in range(stale):
        key = steps_key(f"job_{rng.getrandbits(64):016x}")
        uploads.append((key, _body(make_steps(rng, text, 4, (100, 600), cjk=False)), False))
        corpus.orphan_keys.append(key)
    _upload(uploads)


def _place_steps(
    rng: random.Random, text: Text, corpus: Corpus, item: dict, margin: int, uploads: list[Upload], *, long_run: bool
) -> str:
    """Put the drawn steps where the exact size says: inline, or offloaded to S3."""
    steps = _draw_steps(rng, text, long_run=long_run)
    if steps is None:
        item.pop("artifacts", None)
        item["status"] = "pending"
        return "none"
    inline = {**item, STEPS: steps}
    size = item_size(to_dynamodb(inline))
    estimate = steps_estimate(steps)
    offload = size > margin
    corpus.sizings.append(JobSizing(item["job_id"], size, estimate, "s3" if offload else "inline"))
    if offload and estimate <= margin:
        corpus.disputed_items.append(to_dynamodb(inline))
    if not offload:
        item[STEPS] = steps
        return "inline"
    compressed = (len(corpus.jobs["s3"]) + len(corpus.jobs["s3_gzip"])) % GZIP_EVERY == 0
    uploads.append((steps_key(item["job_id"]), _body(steps), compressed))
    item[STEPS_KEY] = steps_key(item["job_id"])
    return "s3_gzip" if compressed else "s3"


def _body(steps: list) -> bytes:
    return json.dumps(steps).encode("utf-8")  # as the upstream worker writes it (ASCII escapes)


def _upload(uploads: list[Upload]) -> None:
    client = s3_storage().s3_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME

    def put(upload: Upload) -> None:
        key, body, compressed = upload
        extra = {"ContentEncoding": "gzip"} if compressed else {}
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=gzip.compress(body, mtime=0) if compressed else body,
            ContentType="application/json",
            **extra,
        )

    with ThreadPoolExecutor(S3_UPLOAD_THREADS) as pool:
        list(pool.map(put, uploads))


# ---- artifacts ----


def _rating(rng: random.Random, name: str) -> dict:
    """A rating as the registry's rater writes it: each score with its latency in seconds."""
    rating: dict[str, Any] = {"name": name, "category": "MODEL"}
    for metric in SCORES:
        rating[metric] = round(rng.random(), 3)
        rating[metric + LATENCY_SUFFIX] = round(rng.random() / 4, 3)
    rating[DEVICE_SCORES] = {
        device: round(rng.random(), 2) for device in ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server")
    }
    return rating


def _artifact_type(rng: random.Random) -> str:
    draw = rng.random()
    for kind, share in ARTIFACT_MIX:
        if draw < share:
            return kind
        draw -= share
    return ARTIFACT_MIX[-1][0]


def _load_artifacts(rng: random.Random, corpus: Corpus) -> None:
    corpus.artifacts = {kind: [] for kind, _ in ARTIFACT_MIX}
    kinds = sorted((_artifact_type(rng) for _ in range(corpus.size.artifacts)), key=["dataset", "code", "model"].index)
    registered: dict[str, list[dict]] = {"dataset": [], "code": []}
    with dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).batch_writer() as batch:
        for index, kind in enumerate(kinds):
            families = {"model": MODEL_FAMILIES, "dataset": DATASET_FAMILIES, "code": CODE_FAMILIES}[kind]
            name = f"{rng.choice(families)} {rng.choice(['base', 'large', 'tiny', 'v2', 'instruct'])} {index}"
            org = rng.choice(ORGS)
            slug = normalize_name(name)
            url = {
                "model": f"https://huggingface.co/{org}/{slug}",
                "dataset": f"https://huggingface.co/datasets/{org}/{slug}",
                "code": f"https://github.com/{org}/{slug}",
            }[kind]
            ours = rng.random() < 0.5  # registered through this project, or by the registry itself
            artifact_id = artifact_id_for_url(url) if ours else str(uuid.UUID(int=rng.getrandbits(128)))
            document = {"metadata": {"name": name, "id": artifact_id, "type": kind}, "data": {"url": url}}
            item = {
                "artifact_id": artifact_id,
                "artifact_type": kind,
                "url": url,
                "name_normalized": slug,
                "artifact": json.dumps(document, ensure_ascii=False, separators=(",", ":"))
                if ours
                else json.dumps(document),
            }
            if kind == "model":
                if rng.random() < 0.9:
                    item["rating"] = json.dumps(_rating(rng, slug))
                linked = [link for link in ("dataset", "code") if registered[link] and rng.random() < 0.7]
                for link in linked:
                    target = rng.choice(registered[link])
                    item.update(
                        {
                            f"{link}_id": target["artifact_id"],
                            f"{link}_name": target["name"],
                            f"{link}_url": target["url"],
                        }
                    )
                if len(linked) == 2:
                    corpus.linked_models.append(artifact_id)
            else:
                registered[kind].append({"artifact_id": artifact_id, "name": name, "url": url})
            batch.put_item(Item=item)
            corpus.artifacts[kind].append(artifact_id)
