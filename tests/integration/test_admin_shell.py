import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from jobs.models import Job
from projects.models import Project

pytestmark = pytest.mark.shared_db  # history, users: run on PostgreSQL too

ENTRIES = ["Projects", "Jobs", "Artifacts", "Stale key repairs"]


@pytest.mark.django_db
def test_admin_index_lists_the_four_entries(aws, client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    for entry in ENTRIES:
        assert f">{entry}</a>" in html
    assert "Task results" not in html and "Task Results" not in html  # the task engine's records are not data


@pytest.mark.django_db
def test_domain_models_have_no_tables(aws):
    tables = set(connection.introspection.table_names())
    for model in (Project, Job):
        assert model._meta.managed is False
        assert model._meta.db_table not in tables


@pytest.mark.django_db
def test_staff_without_permissions_sees_no_entries(aws, client, make_user):
    client.force_login(make_user("plain", staff=True))
    html = client.get("/admin/").content.decode()
    assert not any(f">{entry}</a>" in html for entry in ENTRIES)
    assert client.get("/admin/projects/project/").status_code == 403


@pytest.mark.django_db
def test_view_permission_opens_the_list_page(aws, client, make_user):
    client.force_login(make_user("viewer", perms=["projects.view_project"]))
    response = client.get("/admin/projects/project/")
    assert response.status_code == 200
    assert client.get("/admin/jobs/job/").status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(aws, client):
    response = client.get("/admin/jobs/job/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_history_attaches_to_a_gateway_entity(superuser):
    LogEntry.objects.log_actions(
        user_id=superuser.pk,
        queryset=[Project(pk="proj_1")],
        action_flag=CHANGE,
        change_message="stage artifacts replaced",
        single_object=True,
    )
    entry = LogEntry.objects.get(object_id="proj_1")
    assert entry.content_type == ContentType.objects.get_for_model(Project)
    assert entry.get_admin_url() == "/admin/projects/project/proj_5F1/change/"  # admin quoting
