"""A realistic, reproducible corpus in the contract's formats, written the way upstream services
write it (batch puts and S3 uploads), including offloaded jobs and every kind of stale key."""

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings

from core.dynamo.connection import dynamodb_table
from core.storage import s3_storage
from jobs.steps_store import steps_key

STAGES = [
    ("requirements_analyst", "需求分析"),
    ("architect", "系统架构"),
    ("agent_designer", "智能体设计"),
    ("prompt_engineer", "提示词工程"),
    ("agent_code_developer", "代码开发"),
    ("agent_developer_manager", "开发管理"),
]
STEP_TYPES = ["llm_call", "tool_call", "retrieval", "validation", "upload"]


@dataclass
class CorpusSize:
    projects: int = 2000
    jobs: int = 10000
    artifacts: int = 2000
    offloaded_share: float = 0.05
    stale_per_kind: int = 20
    seed: int = 20261122


@dataclass
class Corpus:
    size: CorpusSize
    project_ids: list[str] = field(default_factory=list)
    inline_job_ids: list[str] = field(default_factory=list)
    offloaded_job_ids: list[str] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)
    artifact_ids: list[str] = field(default_factory=list)


def timestamp(rng: random.Random) -> str:
    moment = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(20 * 86400))
    return moment.isoformat().replace("+00:00", "Z")


def make_steps(rng: random.Random, count: int, output_bytes: int) -> list[dict]:
    return [
        {
            "step_order": order,
            "step_name": f"step {order}: {rng.choice(['plan', 'search', 'draft', 'review', 'test'])}",
            "step_type": rng.choice(STEP_TYPES),
            "status": "completed",
            "started_at": timestamp(rng),
            "duration_ms": rng.randrange(50, 90_000),
            "output": "".join(rng.choices("abcdefghij klmnopqrst\n", k=output_bytes)),
            "usage_info": {"input_tokens": rng.randrange(10, 9000), "output_tokens": rng.randrange(10, 4000)},
        }
        for order in range(1, count + 1)
    ]


def make_snapshot(rng: random.Random) -> dict:
    done = rng.randrange(0, len(STAGES) + 1)
    stages = []
    for number, (stage, name) in enumerate(STAGES, start=1):
        status = "completed" if number <= done else ("running" if number == done + 1 else "pending")
        stage_item = {"stage": stage, "stage_number": number, "stage_name": name, "status": status}
        if status != "pending":
            stage_item["started_at"] = timestamp(rng)
            stage_item["logs"] = [f"{stage} line {i}" for i in range(rng.randrange(1, 6))]
        if status == "completed":
            stage_item["completed_at"] = timestamp(rng)
            stage_item["output_data"] = {"artifacts": [f"out/{stage}/file_{i}.md" for i in range(rng.randrange(1, 4))]}
        stages.append(stage_item)
    return {"total": len(stages), "completed": done, "stages": stages}


def load(size: CorpusSize) -> Corpus:
    rng = random.Random(size.seed)
    corpus = Corpus(size=size)
    _load_projects(rng, corpus)
    _load_jobs(rng, corpus)
    _load_artifacts(rng, corpus)
    return corpus


def _load_projects(rng: random.Random, corpus: Corpus) -> None:
    table = dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE)
    with table.batch_writer() as batch:
        for index in range(corpus.size.projects):
            project_id = f"proj_{index:012x}"
            snapshot = make_snapshot(rng)
            stored = json.dumps(snapshot, ensure_ascii=False) if index % 2 else json.loads(json.dumps(snapshot))
            batch.put_item(
                Item={
                    "project_id": project_id,
                    "status": "completed" if snapshot["completed"] == snapshot["total"] else "building",
                    "requirement": f"Build agent number {index}",
                    "created_at": timestamp(rng),
                    "updated_at": timestamp(rng),
                    "progress": Decimal(snapshot["completed"] * 100 // snapshot["total"]),
                    "stages_snapshot": stored,
                }
            )
            corpus.project_ids.append(project_id)


def _job_item(rng: random.Random, job_id: str) -> dict:
    return {
        "job_id": job_id,
        "status": rng.choice(["completed", "completed", "running", "failed"]),
        "created_at": timestamp(rng),
        "updated_at": timestamp(rng),
        "artifacts": [f"s3://{settings.AWS_STORAGE_BUCKET_NAME}/out/{job_id}/result.json"],
    }


def _load_jobs(rng: random.Random, corpus: Corpus) -> None:
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    client = s3_storage().s3_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    size = corpus.size
    offloaded = int(size.jobs * size.offloaded_share)
    kinds = ["both_present", "dangling_key", "orphan_object", "oversize_inline"]
    corpus.stale = {kind: [] for kind in kinds}
    with table.batch_writer() as batch:
        for index in range(size.jobs):
            job_id = f"job-{index:06d}"
            item = _job_item(rng, job_id)
            if index < offloaded:
                body = json.dumps(make_steps(rng, 40, 8000)).encode()
                if index % 5 == 0:
                    client.put_object(
                        Bucket=bucket,
                        Key=steps_key(job_id),
                        Body=gzip.compress(body),
                        ContentEncoding="gzip",
                        ContentType="application/json",
                    )
                else:
                    client.put_object(Bucket=bucket, Key=steps_key(job_id), Body=body, ContentType="application/json")
                item["execution_steps_s3_key"] = steps_key(job_id)
                corpus.offloaded_job_ids.append(job_id)
            else:
                item["execution_steps"] = make_steps(rng, rng.randrange(3, 12), rng.randrange(200, 1500))
                corpus.inline_job_ids.append(job_id)
            batch.put_item(Item=item)
        for number in range(size.stale_per_kind):
            stale_id = f"stale-{number:04d}"
            both = {**_job_item(rng, f"{stale_id}-both"), "execution_steps": make_steps(rng, 3, 300)}
            both["execution_steps_s3_key"] = steps_key(both["job_id"])
            client.put_object(
                Bucket=bucket, Key=both["execution_steps_s3_key"], Body=json.dumps(make_steps(rng, 3, 300))
            )
            batch.put_item(Item=both)
            corpus.stale["both_present"].append(both["job_id"])
            dangling = {
                **_job_item(rng, f"{stale_id}-dangling"),
                "execution_steps_s3_key": steps_key(f"{stale_id}-dangling"),
            }
            batch.put_item(Item=dangling)
            corpus.stale["dangling_key"].append(dangling["job_id"])
            orphan_id = f"{stale_id}-orphan"
            client.put_object(Bucket=bucket, Key=steps_key(orphan_id), Body=json.dumps(make_steps(rng, 2, 100)))
            corpus.stale["orphan_object"].append(orphan_id)
            if number < 3:  # each is ~330 KB: a few suffice
                oversize = {**_job_item(rng, f"{stale_id}-oversize"), "execution_steps": make_steps(rng, 33, 10_000)}
                batch.put_item(Item=oversize)
                corpus.stale["oversize_inline"].append(oversize["job_id"])


def _load_artifacts(rng: random.Random, corpus: Corpus) -> None:
    table = dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE)
    kinds = ["model", "dataset", "code"]
    with table.batch_writer() as batch:
        for index in range(corpus.size.artifacts):
            artifact_type = kinds[index % 3]
            name = f"{rng.choice(['Bert', 'Llama', 'Whisper', 'ResNet', 'T5'])}-{artifact_type}-{index}"
            item = {
                "artifact_id": f"art-{index:06d}",
                "artifact_type": artifact_type,
                "url": f"https://huggingface.co/org/{name.lower()}",
                "name_normalized": name.lower(),
                "artifact": json.dumps(
                    {
                        "metadata": {"name": name, "type": artifact_type},
                        "data": {"url": f"https://huggingface.co/org/{name.lower()}"},
                    }
                ),
            }
            if artifact_type == "model":
                item["rating"] = json.dumps(
                    {"net_score": round(rng.random(), 3), "ramp_up_time": round(rng.random(), 3), "license": 1.0}
                )
            batch.put_item(Item=item)
            corpus.artifact_ids.append(item["artifact_id"])
