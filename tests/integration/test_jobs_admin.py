"""The Jobs admin on moto: a list page of one Scan and no S3, and a detail page that shows
offloaded steps as if they were inline."""

import re

import pytest
from django.conf import settings

from core.dynamo.connection import watch_calls
from core.dynamo.values import to_dynamodb
from jobs.gateway import JobGateway
from jobs.services import job_update
from jobs.steps_store import ExecutionStepsStore, steps_key

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]


@pytest.fixture
def gateway(aws):
    return JobGateway()


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def put(gateway, **item):
    gateway.table.put_item(Item=to_dynamodb(item))


def steps(count, chars=100):
    return [
        {
            "step_order": n,
            "step_name": f"Write section {n}",
            "step_type": "ai_generation",
            "status": "completed",
            "duration_ms": 1000 * n,
            "input": {"instructions": f"section {n}"},
            "output": f"output {n} " + "x" * chars,
        }
        for n in range(1, count + 1)
    ]


def rows(html):
    return re.findall(r'<tr><th><a href="[^"]+">([^<]+)</a></th>(.*?)</tr>', html)


def test_list_shows_where_steps_live_with_one_scan_and_no_s3(staff, gateway):
    put(gateway, job_id="inline", status="running", updated_at="2025-11-07T09:12:03.120Z", execution_steps=steps(3))
    put(gateway, job_id="none", status="pending")
    put(gateway, job_id="s3", status="completed")
    job_update(job_id="s3", execution_steps=steps(40, chars=10_000))
    with watch_calls() as calls:
        response = staff.get("/admin/jobs/job/")
    assert response.status_code == 200
    assert calls == [("dynamodb", "Scan")]
    cells = {job_id: re.findall(r"<td>(.*?)</td>", rest) for job_id, rest in rows(response.content.decode())}
    assert cells["inline"] == [
        "running",
        "Inline",
        "3",
        '<time datetime="2025-11-07T09:12:03.120000Z" title="2025-11-07T09:12:03.120Z">Nov. 7, 2025, 9:12 a.m.</time>',
    ]
    assert cells["none"] == ["pending", "None", "—", "—"]
    assert cells["s3"][:3] == ["completed", "S3", "—"]


def test_list_filters_combine_with_search_and_page_with_a_cursor(staff, gateway):
    for number in range(8):
        extra = {"execution_steps": steps(1)} if number % 2 else {}
        put(gateway, job_id=f"job-{number}", status="running" if number < 6 else "failed", **extra)
    seen, url = [], "/admin/jobs/job/?status=running&location=inline&q=job-"
    while url:
        with watch_calls() as calls:
            html = staff.get(url).content.decode()
        # The first page looks the query up as a whole id first.
        assert calls == ([] if seen else [("dynamodb", "GetItem")]) + [("dynamodb", "Scan")]
        seen += [job_id for job_id, _ in rows(html)]
        match = re.search(r'<a class="next-page" href="([^"]+)"', html)
        url = "/admin/jobs/job/" + match.group(1).replace("&amp;", "&") if match else None
        assert url is None or ("status=running" in url and "location=inline" in url and "q=job-" in url)
    assert sorted(seen) == ["job-1", "job-3", "job-5"]


def test_a_tampered_cursor_is_an_admin_400_page(staff, aws):
    response = staff.get("/admin/jobs/job/?cursor=forged")
    assert response.status_code == 400
    assert b"cursor is invalid" in response.content


def test_missing_table_is_an_admin_error_page_naming_it(staff, aws, settings):
    settings.DYNAMODB_JOBS_TABLE = "NoSuchJobs"
    for url in ("/admin/jobs/job/", "/admin/jobs/job/j1/change/"):
        response = staff.get(url)
        assert response.status_code == 503
        html = response.content.decode()
        assert "NoSuchJobs" in html and "bootstrap_aws" in html and "Traceback" not in html


def test_detail_renders_offloaded_steps_with_the_object_size_from_the_same_read(staff, gateway):
    put(gateway, job_id="j1", status="completed")
    record = job_update(job_id="j1", execution_steps=steps(40, chars=10_000))
    size = ExecutionStepsStore().head(record.steps_key).size
    with watch_calls() as calls:
        response = staff.get("/admin/jobs/job/j1/change/")
    assert calls == [("dynamodb", "GetItem"), ("s3", "GetObject")]
    html = response.content.decode()
    assert html.count('<tr class="job-step">') == 40
    assert "Write section 40" in html and "<details><summary>Input</summary>" in html
    assert 'id="s3-object-badge"' in html and "jobs/j1/execution_steps.json" in html and f"({size} bytes)" in html
    assert '<rect class="completed" x="0" y="0" width="100.0"' in html  # the longest step fills its bar
    assert "stale-key-warning" not in html


def test_detail_of_inline_steps_needs_no_s3(staff, gateway):
    put(gateway, job_id="j2", status="running", execution_steps=steps(2))
    with watch_calls() as calls:
        html = staff.get("/admin/jobs/job/j2/change/").content.decode()
    assert calls == [("dynamodb", "GetItem")]
    assert html.count('<tr class="job-step">') == 2 and "s3-object-badge" not in html


@pytest.mark.parametrize("kind", ["both_present", "dangling_key", "oversize_inline"])
def test_a_stale_key_is_flagged_with_a_link_to_the_repairs(staff, gateway, kind):
    store = ExecutionStepsStore()
    if kind == "both_present":
        store.save("j3", steps(1))
        put(gateway, job_id="j3", execution_steps=steps(2), execution_steps_s3_key=steps_key("j3"))
    elif kind == "dangling_key":
        put(gateway, job_id="j3", execution_steps_s3_key=steps_key("j3"))
    else:
        put(gateway, job_id="j3", execution_steps=steps(40, chars=settings.EXECUTION_STEPS_OFFLOAD_BYTES // 38))
    html = staff.get("/admin/jobs/job/j3/change/").content.decode()
    warning = re.search(r'<div class="gateway-warning" id="stale-key-warning">(.*?)</div>', html, re.S).group(1)
    assert f"<code>{kind}</code>" in warning
    assert 'href="/admin/jobs/stalekeyrepair/?q=j3"' in warning


def test_unreadable_steps_show_an_error_and_the_job(staff, gateway):
    ExecutionStepsStore().storage.s3_client().put_object(
        Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=steps_key("j4"), Body=b"\xff not json"
    )
    put(gateway, job_id="j4", status="failed", execution_steps_s3_key=steps_key("j4"))
    response = staff.get("/admin/jobs/job/j4/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="steps-error"' in html and "not UTF-8" in html and "<dd>failed</dd>" in html


def test_an_unknown_job_redirects_with_a_message(staff, aws):
    response = staff.get("/admin/jobs/job/nobody/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert b"doesn\xe2\x80\x99t exist" in response.content or b"doesn&#x27;t exist" in response.content


def test_a_job_id_with_a_slash_is_readable_in_the_admin(staff, gateway):
    put(gateway, job_id="team/42", status="done", execution_steps=steps(1))
    list_html = staff.get("/admin/jobs/job/").content.decode()
    assert 'href="/admin/jobs/job/team_2F42/change/"' in list_html
    response = staff.get("/admin/jobs/job/team_2F42/change/")
    assert response.status_code == 200 and "Write section 1" in response.content.decode()


def test_view_permission_is_enough_to_browse(client, gateway, make_user):
    put(gateway, job_id="j5", status="done")
    client.force_login(make_user("viewer", perms=["jobs.view_job"]))
    assert client.get("/admin/jobs/job/").status_code == 200
    assert client.get("/admin/jobs/job/j5/change/").status_code == 200
    client.force_login(make_user("stranger", perms=["projects.view_project"]))
    assert client.get("/admin/jobs/job/j5/change/").status_code == 403
