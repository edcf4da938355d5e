"""Table resources are built once per thread and endpoint: boto3 builds a new resource class on
each `resource.Table()` call, which would cost every request a fraction of a millisecond."""

import threading

from core.dynamo.connection import dynamodb_table


def test_a_thread_reuses_its_table_until_the_endpoint_changes(settings):
    table = dynamodb_table("Jobs")
    assert dynamodb_table("Jobs") is table
    assert dynamodb_table("AgentProjects") is not table
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"
    moved = dynamodb_table("Jobs")
    assert moved is not table and moved.meta.client.meta.endpoint_url == "http://127.0.0.1:9"


def test_each_thread_has_its_own_table():
    tables = []
    thread = threading.Thread(target=lambda: tables.append(dynamodb_table("Jobs")))
    thread.start()
    thread.join()
    assert tables[0] is not dynamodb_table("Jobs")
