"""Demo data for `manage.py seed_demo`: build projects in both snapshot storage forms, every usual
status, non-ASCII stage names, artifacts and logs, and one malformed snapshot."""

import json
from datetime import UTC, datetime, timedelta

from core.timestamps import utc_iso

from .gateway import ProjectsGateway

PIPELINE = (
    ("requirements_analyzer", "需求分析"),
    ("system_architect", "系统架构设计"),
    ("agent_designer", "智能体设计"),
    ("prompt_engineer", "提示词工程"),
    ("tools_developer", "工具开发"),
    ("agent_code_developer", "代码开发与集成测试"),
)
ARTIFACTS = {
    "requirements_analyzer": ["projects/{agent}/requirements.md"],
    "system_architect": ["projects/{agent}/architecture.md", "projects/{agent}/diagrams/flow.mmd"],
    "agent_designer": ["projects/{agent}/agent_design.json"],
    "prompt_engineer": ["prompts/generated_agents_prompts/{agent}/{agent}.yaml"],
    "tools_developer": ["tools/generated_tools/{agent}/calculator.py", "tools/generated_tools/{agent}/units.py"],
    "agent_code_developer": ["agents/generated_agents/{agent}/agent.py", "agents/generated_agents/{agent}/tests.py"],
}

# (project_id, agent, requirement, storage form, per-stage (status, minutes), extra top-level attributes)
PROJECTS = (
    (
        "proj_b0520328c1e1",
        "math_calculator_agent",
        "Build an agent that solves algebra word problems step by step.",
        "string",
        [("completed", 4), ("completed", 9), ("completed", 6), ("completed", 5), ("completed", 14), ("completed", 22)],
        {"name": "Math calculator"},
    ),
    (
        "proj_4f1c2a9d7e30",
        "travel_planner_agent",
        "做一个旅行规划助手：根据预算和天数生成行程。",
        "map",
        [("completed", 3), ("completed", 11), ("completed", 7), ("running", 8), ("pending", 0), ("pending", 0)],
        {"name": "旅行规划助手"},
    ),
    (
        "proj_9a7b3c2d1e0f",
        "invoice_reader_agent",
        "Extract totals and VAT from scanned invoices (PDF).",
        "string",
        [("completed", 5), ("completed", 8), ("completed", 6), ("completed", 4), ("failed", 12), ("pending", 0)],
        {"error": "tools_developer: generated tool failed its self-test (3 of 12 cases)."},
    ),
    (
        "proj_c81d5e6f7a2b",
        "support_triage_agent",
        "Route support e-mails to the right team and draft a first reply.",
        "map",
        [("pending", 0)] * 6,
        {},
    ),
    (
        "proj_2e3f4a5b6c7d",
        "recipe_agent",
        "Suggest recipes from what is in the fridge; metric units, vegetarian option.",
        "string",
        [("completed", 6), ("running", 3), ("pending", 0), ("pending", 0), ("pending", 0), ("pending", 0)],
        {"name": "Küchenhilfe"},
    ),
    (
        "proj_7d8e9f0a1b2c",
        "contract_review_agent",
        "审阅采购合同，标出违约责任与付款条款中的风险。",
        "map",
        [("completed", 7), ("completed", 13), ("completed", 9), ("completed", 6), ("completed", 18), ("completed", 31)],
        {},
    ),
    (
        "proj_5b6c7d8e9f0a",
        "weather_alert_agent",
        "Send a morning alert when rain is forecast for the commute.",
        "string",
        [("completed", 2), ("completed", 5), ("cancelled", 1), ("skipped", 0), ("skipped", 0), ("skipped", 0)],
        {},
    ),
)
MALFORMED_ID = "proj_e1f2a3b4c5d6"


STARTED = {"completed", "failed", "cancelled", "running"}


def seed() -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    items = [_project(now, index, *spec) for index, spec in enumerate(PROJECTS)]
    items.append(_malformed(now - timedelta(minutes=40)))
    ProjectsGateway().put_many(items)
    forms = sum(1 for spec in PROJECTS if spec[3] == "string"), sum(1 for spec in PROJECTS if spec[3] == "map")
    return f"{len(items)} projects ({forms[0]} JSON-string and {forms[1]} map snapshots, 1 malformed)"


def _project(now, index, project_id, agent, requirement, form, plan, extra) -> dict:
    durations = [timedelta(minutes=minutes, seconds=17 * minutes) for _, minutes in plan]
    running = any(status == "running" for status, _ in plan)
    # Running builds are live now; finished ones ended some hours ago.
    started = now - sum(durations, timedelta()) - (timedelta() if running else timedelta(hours=3 * index + 1))
    stages, moment = [], started
    for number, ((stage, name), (status, _), duration) in enumerate(zip(PIPELINE, plan, durations, strict=True), 1):
        entry = {"stage": stage, "stage_number": number, "stage_name": name, "status": status}
        if status in STARTED:
            entry["started_at"] = utc_iso(moment)
            entry["logs"] = [f"[{moment:%H:%M:%S}] {stage} started", f"[{moment:%H:%M:%S}] model call 1 of 3"]
            moment += duration
        if status in {"completed", "failed", "cancelled"}:
            entry["completed_at"] = utc_iso(moment)
            entry["logs"].append(f"[{moment:%H:%M:%S}] {stage} {status}")
        if status == "completed":
            entry["output_data"] = {"artifacts": [path.format(agent=agent) for path in ARTIFACTS[stage]]}
        if status == "failed":
            entry["error"] = "AssertionError: expected 42, got 41 (case 7)"
        stages.append(entry)
    snapshot = {
        "total": len(stages),
        "completed": sum(1 for entry in stages if entry["status"] == "completed"),
        "stages": stages,
        "pipeline_version": "2025.11",  # a field only upstream knows
    }
    done, total = snapshot["completed"], snapshot["total"]
    current = next((entry["stage"] for entry in stages if entry["status"] in {"running", "failed"}), None)
    statuses = {entry["status"] for entry in stages}
    status = next(s for s in ("failed", "running", "cancelled", "pending", "completed") if s in statuses)
    return {
        "project_id": project_id,
        "status": status,
        "requirement": requirement,
        "created_at": utc_iso(started - timedelta(minutes=2)),
        "updated_at": utc_iso(max(moment, started)),
        "progress": round(100 * done / total),
        **({"current_stage": current} if current else {}),
        "stages_snapshot": json.dumps(snapshot, ensure_ascii=False) if form == "string" else snapshot,
        **extra,
    }


def _malformed(started) -> dict:
    """A snapshot string cut short, as a writer that crashed mid-write leaves it."""
    return {
        "project_id": MALFORMED_ID,
        "status": "running",
        "requirement": "Summarise daily stand-up notes into a team digest.",
        "created_at": utc_iso(started),
        "updated_at": utc_iso(started + timedelta(minutes=3)),
        "current_stage": "system_architect",
        "stages_snapshot": '{"total": 6, "completed": 1, "stages": [{"stage": "requirements_analyzer", "status": "comp',
    }
