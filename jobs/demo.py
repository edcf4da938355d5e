"""Demo data for `manage.py seed_demo`: jobs with inline, offloaded and gzip-compressed steps, and
one planted case of each stale-key kind (written straight to the table and bucket, since the
service never produces them). Fixed ids: running it again gives the same state."""

from core.dynamo.values import to_dynamodb

from .gateway import STEPS, STEPS_KEY, JobGateway
from .services import job_update
from .steps_store import ExecutionStepsStore, steps_key

CREATED_AT = "2025-11-07T09:12:03.120Z"
FINISHED_AT = "2025-11-07T09:31:47.905Z"
PLAN = (
    ("Research the audience", "ai_generation"),
    ("Outline the guide", "ai_generation"),
    ("Write the sections", "ai_generation"),
    ("Review tone and facts", "ai_generation"),
    ("Design the HTML page", "html_generation"),
    ("Upload artifacts", "s3_upload"),
    ("Notify the webhook", "webhook"),
)
PARAGRAPH = (
    "Small clinics lose most new patients between the first call and the first visit. This section "
    "explains how a same-day callback, a short intake form and a reminder sequence keep them engaged, "
    "with the numbers a practice manager can check each week. "
)


def step(number: int, *, status: str = "completed", output_chars: int = 600) -> dict:
    name, step_type = PLAN[(number - 1) % len(PLAN)]
    entry = {
        "step_order": number,
        "step_name": name if number <= len(PLAN) else f"{name} (pass {(number - 1) // len(PLAN) + 1})",
        "step_type": step_type,
        "status": status,
        "started_at": f"2025-11-07T09:{12 + number % 40:02d}:{(7 * number) % 60:02d}.000Z",
        "input": {"instructions": f"Step {number}: {name.lower()} for a dental clinic lead magnet.", "model": "gpt-4o"},
    }
    if status in {"completed", "failed"}:
        entry["duration_ms"] = 850 + (number * 7919) % 24000
    if status == "completed":
        entry["output"] = (PARAGRAPH * (output_chars // len(PARAGRAPH) + 1))[:output_chars]
        entry["usage_info"] = {
            "input_tokens": 900 + number * 13,
            "output_tokens": output_chars // 4,
            "cost_usd": 0.0125,
        }
    if status == "failed":
        entry["error"] = "The model returned an empty answer after 3 attempts."
    return entry


def steps(count: int, *, last_status: str = "completed", output_chars: int = 600) -> list[dict]:
    return [
        step(number, status=last_status if number == count else "completed", output_chars=output_chars)
        for number in range(1, count + 1)
    ]


def base_item(job_id: str, status: str, **extra) -> dict:
    item = {"job_id": job_id, "status": status, "created_at": CREATED_AT, "updated_at": CREATED_AT, **extra}
    if status in {"completed", "failed", "cancelled"}:
        item["completed_at"] = FINISHED_AT
    if status == "completed":
        item["artifacts"] = [f"artifacts/{job_id}/lead-magnet.html", f"artifacts/{job_id}/lead-magnet.pdf"]
    return to_dynamodb(item)


def seed() -> str:
    """Write the demo items; return a one-line summary."""
    gateway = JobGateway()
    store = ExecutionStepsStore()
    table = gateway.table

    # Through the service, as the worker writes them: inline, or offloaded by the exact size.
    written = {
        "job_demo_completed": ("completed", steps(7)),
        "job_demo_running": ("running", steps(4, last_status="running")),
        "job_demo_failed": ("failed", steps(5, last_status="failed")),
        "job_demo_cancelled": ("cancelled", steps(2)),
        "job_demo_offloaded": ("completed", steps(56, output_chars=6000)),
        "job_demo_offloaded_running": ("running", steps(70, last_status="running", output_chars=5000)),
    }
    for job_id, (status, job_steps) in written.items():
        store.delete(steps_key(job_id))  # a re-run starts from a plain item
        table.put_item(Item=base_item(job_id, status))
        job_update(job_id=job_id, execution_steps=job_steps, gateway=gateway, store=store)
    table.put_item(Item=base_item("job_demo_pending", "pending"))

    # Written by another service: a gzip-compressed object.
    store.save("job_demo_gzip", steps(30, output_chars=4000), compress=True)
    table.put_item(Item=base_item("job_demo_gzip", "completed", **{STEPS_KEY: steps_key("job_demo_gzip")}))

    # An object that is not JSON: the job is shown with an error instead of its steps.
    store.storage.s3_client().put_object(
        Bucket=store.bucket,
        Key=steps_key("job_demo_unreadable"),
        Body=b"\xff\xfe not json",
        ContentType="application/json",
    )
    table.put_item(Item=base_item("job_demo_unreadable", "failed", **{STEPS_KEY: steps_key("job_demo_unreadable")}))

    # Planted stale keys, one of each kind the repairs find.
    store.save("job_demo_both_present", steps(7, output_chars=900))
    table.put_item(
        Item=base_item(
            "job_demo_both_present", "completed", **{STEPS: steps(3), STEPS_KEY: steps_key("job_demo_both_present")}
        )
    )
    store.delete(steps_key("job_demo_dangling_key"))
    table.put_item(
        Item=base_item("job_demo_dangling_key", "completed", **{STEPS_KEY: steps_key("job_demo_dangling_key")})
    )
    table.delete_item(Key={"job_id": "job_demo_orphan_object"})
    store.save("job_demo_orphan_object", steps(3))
    # A key naming another job's object: reported, never followed.
    table.put_item(Item=base_item("job_demo_foreign_key", "failed", **{STEPS_KEY: steps_key("job_demo_gzip")}))
    # Inline steps above the offload margin (about 330 KB) yet under DynamoDB's 400 KB limit.
    store.delete(steps_key("job_demo_oversize_inline"))
    table.put_item(Item=base_item("job_demo_oversize_inline", "completed", **{STEPS: steps(48, output_chars=6500)}))

    return (
        f"{len(written) + 7} jobs (inline, offloaded, gzip, unreadable steps) and one planted case of each "
        "stale-key kind: both_present, dangling_key, foreign_key, orphan_object, oversize_inline"
    )
