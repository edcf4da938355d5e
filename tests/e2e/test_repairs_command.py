"""`manage.py repair_stale_keys` as operators run it: a real process against a moto server."""

import json
import os
import pty
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from jobs.steps_store import steps_key
from tests.e2e.test_commands import ROOT, manage
from tests.integration.test_repairs_scan import World, deny, make_steps


@pytest.fixture
def database(tmp_path, aws_server) -> dict:
    """A migrated SQLite file of its own for the command's admin log."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    migrated = manage("migrate", "-v0", endpoint=aws_server, **env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def test_dry_run_json_then_apply_then_nothing_left(aws_server, database):
    world = World()
    world.plant_each_kind()
    items, objects = world.items(), world.objects()

    dry = manage("repair_stale_keys", "--json", "--kind", "all", endpoint=aws_server, **database)
    assert dry.returncode == 0, dry.stderr
    document = json.loads(dry.stdout)
    assert document["repaired"] == 0
    assert [(f["kind"], f["job_id"]) for f in document["findings"]] == [
        ("both_present", "both"),
        ("dangling_key", "dangling"),
        ("orphan_object", "orphan"),
        ("oversize_inline", "oversize"),
    ]
    assert world.items() == items and world.objects() == objects

    applied = manage(
        "repair_stale_keys",
        "--apply",
        "--kind",
        "all",
        "--min-orphan-age",
        "0",
        "--segments",
        "3",
        endpoint=aws_server,
        **database,
    )
    assert applied.returncode == 0, applied.stderr
    assert "Repaired 4, skipped 0, failed 0." in applied.stdout
    assert "repaired: REMOVE execution_steps_s3_key jobs/dangling/execution_steps.json" in applied.stdout

    again = manage("repair_stale_keys", "--kind", "all", "--min-orphan-age", "0", endpoint=aws_server, **database)
    assert again.returncode == 0 and "Findings: 0" in again.stdout and "Nothing to repair." in again.stdout


def test_human_report_and_the_grace_age(aws_server, database):
    world = World()
    world.put(steps_key("fresh"), make_steps(1))
    result = manage("repair_stale_keys", "--apply", endpoint=aws_server, **database)
    assert result.returncode == 0, result.stderr  # a kept orphan is not an error
    assert "skipped: Kept:" in result.stdout and "younger than the grace age (1 h)" in result.stdout
    every_kind = "(both_present 0, dangling_key 0, foreign_key 0, orphan_object 1, oversize_inline 0)"
    assert every_kind in result.stdout
    assert steps_key("fresh") in world.objects()


def test_progress_line_on_a_terminal(aws_server, database):
    World().plant_each_kind()
    controller, terminal = pty.openpty()
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1", **database}
    environment.update(AWS_ENDPOINT_URL=aws_server, AWS_MAX_ATTEMPTS="1")
    process = subprocess.run(
        # In colour, as on an operator's terminal: the progress line is not styled as an error.
        [sys.executable, "manage.py", "repair_stale_keys", "--segments", "2", "--force-color"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=terminal,
        timeout=120,
        text=True,
    )
    os.close(terminal)
    progress = os.read(controller, 65536).decode()
    os.close(controller)
    assert process.returncode == 0
    assert "scanned 6 items ·" in progress and "items/s" in progress
    assert "\x1b[" not in progress.replace("\x1b[K", "")  # no colour but the line's own erase
    assert "scanned" not in process.stdout  # the report itself stays clean


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--segments", "0"], "--segments: between 1 and 64"),
        (["--kind", "everything"], "invalid choice: 'everything'"),
        (["--min-orphan-age", "-5"], "--min-orphan-age: cannot be negative"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    result = manage("repair_stale_keys", *arguments, endpoint="http://127.0.0.1:9")
    assert result.returncode == 2 and message in result.stderr


def test_aws_down_exits_non_zero_without_traceback(database):
    result = manage("repair_stale_keys", endpoint="http://127.0.0.1:9", **database)
    assert result.returncode == 1
    assert "Cannot reach DynamoDB" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
def test_a_refused_repair_is_an_error_exit_after_the_report(aws, capsys):
    world = World()
    world.job("dangling", execution_steps_s3_key=steps_key("dangling"))
    with deny(world.s3, "HeadObject"), pytest.raises(CommandError, match="1 of 1 repairs failed"):
        call_command("repair_stale_keys", "--apply")
    assert "failed: Not checked: S3 refused access" in capsys.readouterr().out
    assert "execution_steps_s3_key" in world.item("dangling")


@pytest.mark.django_db
def test_an_unknown_log_user_is_refused_before_anything_is_done(aws):
    world = World()
    world.job("dangling", execution_steps_s3_key=steps_key("dangling"))
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("repair_stale_keys", "--apply", "--user", "nobody")
    assert "execution_steps_s3_key" in world.item("dangling")
