"""The "Stale key repairs" admin page: findings, preview, confirmation, permissions, history."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from core.dynamo.connection import watch_calls
from jobs.steps_store import steps_key
from tests.integration.test_repairs_repair import rerun_first_step, worker_table
from tests.integration.test_repairs_scan import World, make_steps
from tests.integration.test_repairs_scans import scan_now

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]
PAGE = "/admin/jobs/stalekeyrepair/"
REPAIR = "/admin/jobs/stalekeyrepair/repair/"
SCAN = "/admin/jobs/stalekeyrepair/scan/"


@pytest.fixture
def world(aws):
    world = World()
    world.plant_each_kind()
    world.put(steps_key("both-2"), make_steps(3))
    world.job("both-2", execution_steps=make_steps(1), execution_steps_s3_key=steps_key("both-2"))
    scan_now()
    return world


@pytest.fixture
def repairer(client, make_user):
    client.force_login(make_user("repairer", perms=["jobs.change_job"]))
    return client


def tokens(html: str) -> dict[str, str]:
    """The selection checkboxes on the findings page, by the job id of their row."""
    rows = re.findall(r'name="finding" value="([^"]+)"[^>]*aria-label="Select ([^"]+)"', html)
    return {job_id: token for token, job_id in rows}


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_the_latest_scan_findings_by_kind_without_any_aws_request(world, repairer):
    with watch_calls() as calls:
        html = repairer.get(PAGE).content.decode()
    assert calls == []
    for kind, label in [
        ("both_present", "Both present"),
        ("dangling_key", "Dangling key"),
        ("orphan_object", "Orphan"),
        ("oversize_inline", "Oversize inline"),
    ]:
        assert f'id="kind-{kind}"' in html and f"<h2>{label}" in html
    assert ">Both present (2)</a>" in html and ">Oversize inline (1)</a>" in html  # every kind, by default
    assert set(tokens(html)) == {"both", "both-2", "dangling", "oversize"}  # the orphan is young: waiting
    assert 'value="kind:dangling_key"' in html  # repair all of a kind
    assert re.search(r"Findings of scan \d+, finished .* 7 items read in 1 request", " ".join(html.split()))
    assert "5 objects listed under <code>jobs/</code> in 1 request." in " ".join(html.split())
    history = html[html.index('id="scan-history"') :]
    assert '<th scope="col">List requests</th>' in history and "<td>7</td><td>1</td><td>1</td>" in history
    assert "Scan now" in html


def test_kind_filter_and_job_search(world, repairer):
    with watch_calls() as calls:
        oversize = repairer.get(PAGE, {"kind": "oversize_inline"}).content.decode()
        searched = repairer.get(PAGE, {"q": "dangl"}).content.decode()
    assert calls == []
    assert set(tokens(oversize)) == {"oversize"} and 'id="kind-both_present"' not in oversize
    assert set(tokens(searched)) == {"dangling"}


def test_an_orphan_row_names_its_job_without_linking_to_it(world, repairer):
    html = repairer.get(PAGE, {"kind": "orphan_object"}).content.decode()
    assert "<th>orphan</th>" in html and "/admin/jobs/job/orphan/change/" not in html
    assert "/admin/jobs/job/dangling/change/" in repairer.get(PAGE, {"kind": "dangling_key"}).content.decode()


def test_without_a_completed_scan_the_page_says_so(aws, repairer):
    html = repairer.get(PAGE).content.decode()
    assert "No scan has completed yet" in html and tokens(html) == {}


def test_preview_then_confirm_repairs_logs_and_redirects(world, repairer):
    items, objects = world.items(), world.objects()
    selected = tokens(repairer.get(PAGE).content.decode())
    preview = repairer.post(REPAIR, {"scope": "selected", "finding": [selected["both"], selected["dangling"]]})
    html = preview.content.decode()
    assert preview.status_code == 200 and "Dry run: nothing has changed yet" in html
    assert "REMOVE execution_steps (2 inline steps; S3 object jobs/both/execution_steps.json" in html
    assert "REMOVE execution_steps_s3_key jobs/dangling/execution_steps.json (S3 object missing" in html
    assert 'value="Yes, repair 2"' in html
    assert world.items() == items and world.objects() == objects  # the preview is a dry run

    done = repairer.post(REPAIR, {"confirm": "yes", "plans": hidden(html, "plans")})
    assert done.status_code == 302 and done["Location"].startswith(PAGE)
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        "Repaired 2: both (both_present), dangling (dangling_key). Each job's history records what changed."
    ]
    assert "execution_steps" not in world.item("both") and "execution_steps_s3_key" not in world.item("dangling")
    history = repairer.get("/admin/").content.decode()  # the admin's "Recent actions"
    assert "both" in history and "dangling" in history
    page = repairer.get(PAGE).content.decode()
    assert "Recent repairs" in page and "the steps are lost" in page
    assert set(tokens(page)) == {"both-2", "oversize"}  # repaired since the scan: no longer offered
    assert page.count("repaired since this scan") == 2


def test_repair_all_of_a_kind_skips_what_changed_after_the_preview(world, repairer):
    html = repairer.post(REPAIR, {"scope": "kind:both_present"}).content.decode()
    assert 'value="Yes, repair 2"' in html
    rerun_first_step(worker_table(), "both-2")  # a worker, between preview and confirmation
    done = repairer.post(REPAIR, {"confirm": "yes", "plans": hidden(html, "plans")})
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert messages[0].startswith("Repaired 1: both (both_present)")
    assert messages[1].startswith("Skipped both-2 (both_present): Job both-2 changed since the scan")
    assert world.item("both-2")["execution_steps"][0]["status"] == "running"
    assert LogEntry.objects.get().object_id == "both"


def test_a_young_orphan_shows_as_waiting_and_is_not_offered(world, repairer):
    html = repairer.get(PAGE, {"kind": "orphan_object"}).content.decode()
    assert re.search(r"waiting until \d\d:\d\d UTC", html) and tokens(html) == {}
    assert 'value="kind:orphan_object"' not in html
    refused = repairer.post(REPAIR, {"scope": "kind:orphan_object"})
    assert refused.status_code == 302 and "Select the findings" in str(list(get_messages(refused.wsgi_request))[0])


def test_viewers_see_findings_read_only_and_cannot_post(world, client, make_user):
    client.force_login(make_user("viewer", perms=["jobs.view_stalekeyrepair"]))
    html = client.get(PAGE).content.decode()
    assert 'id="kind-dangling_key"' in html and tokens(html) == {} and "Repair selected" not in html
    assert "Repairing them needs the permission to change jobs" in html
    assert client.post(REPAIR, {"scope": "kind:dangling_key"}).status_code == 403
    assert client.post(REPAIR, {"confirm": "yes", "plans": "x"}).status_code == 403
    assert "execution_steps_s3_key" in world.item("dangling")


def test_jobs_viewers_see_findings_and_others_do_not(world, client, make_user):
    client.force_login(make_user("jobs-viewer", perms=["jobs.view_job"]))
    assert client.get(PAGE).status_code == 200
    client.force_login(make_user("plain"))
    assert client.get(PAGE).status_code == 403


def test_tampered_or_missing_tokens_are_refused_without_change(world, repairer):
    items = world.items()
    assert repairer.post(REPAIR, {"confirm": "yes", "plans": "forged"}).status_code == 400
    assert repairer.post(REPAIR, {"scope": "selected", "finding": ["forged"]}).status_code == 400
    empty = repairer.post(REPAIR, {"scope": "selected"})
    assert empty.status_code == 302 and "Select the findings" in str(list(get_messages(empty.wsgi_request))[0])
    assert repairer.get(REPAIR).status_code == 405
    assert world.items() == items


def test_a_token_of_one_purpose_used_as_the_other_is_a_400(world, repairer):
    items = world.items()
    finding = tokens(repairer.get(PAGE).content.decode())["both"]
    preview = repairer.post(REPAIR, {"scope": "selected", "finding": [finding]}).content.decode()
    plans = hidden(preview, "plans")
    assert repairer.post(REPAIR, {"confirm": "yes", "plans": finding}).status_code == 400
    assert repairer.post(REPAIR, {"scope": "selected", "finding": [plans]}).status_code == 400
    assert world.items() == items


def test_csrf_is_required(world, make_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("csrf", perms=["jobs.change_job"]))
    assert strict.post(REPAIR, {"scope": "kind:dangling_key"}).status_code == 403


def test_scan_now_needs_the_csrf_token_and_the_change_permission(aws, client, make_user):
    from django.test import Client

    from jobs.models import Scan

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("csrf", perms=["jobs.change_job"]))
    assert strict.post(SCAN).status_code == 403
    client.force_login(make_user("viewer", perms=["jobs.view_stalekeyrepair"]))
    assert client.post(SCAN).status_code == 403
    assert client.get(SCAN).status_code == 405
    assert not Scan.objects.exists()
    client.force_login(make_user("repairer", perms=["jobs.change_job"]))
    started = client.post(SCAN)
    assert started.status_code == 302 and started["Location"] == PAGE
    scan = Scan.objects.get()
    assert (scan.origin, scan.started_by.username, scan.status) == ("admin", "repairer", "queued")
    status = client.get(f"{PAGE}scans/{scan.pk}/").json()
    assert status["status"] == "queued" and status["segments_done"] == 0
    assert client.get(f"{PAGE}scans/999999/").status_code == 404
