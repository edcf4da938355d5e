"""/api/artifacts/ against moto: the contract's shapes, filters, permissions and bad input."""

import json
from urllib.parse import quote

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from artifacts.services import artifact_id_for_url
from core.dynamo.connection import dynamodb_client, watch_calls
from tests.integration.artifacts_support import (
    MODEL_RATING,
    upstream_item,
)

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
SQUAD = "https://huggingface.co/datasets/rajpurkar/squad"

pytestmark = pytest.mark.django_db

pytest_plugins = ["tests.integration.artifacts_support"]  # its fixtures


@pytest.fixture
def api(make_user):
    """A client signed in with a token of a staff user who may view and change artifacts."""
    user = make_user("editor", perms=["artifacts.view_artifact", "artifacts.change_artifact"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def post(api, **body):
    return api.post("/api/artifacts/", body, format="json")


def test_create_read_replace_delete(artifacts_table, api):
    dataset = post(api, artifact_type="dataset", name="SQuAD", url=SQUAD)
    assert dataset.status_code == 201
    created = post(
        api,
        artifact_type="model",
        name="BERT base",
        url=BERT,
        rating=MODEL_RATING,
        dataset_id=dataset.json()["artifact_id"],
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    artifact_id = artifact_id_for_url(BERT)
    assert created["Location"] == f"http://testserver/api/artifacts/{artifact_id}/"
    assert body == {
        "artifact_id": artifact_id,
        "artifact_type": "model",
        "name": "BERT base",
        "name_normalized": "bert-base",
        "url": BERT,
        "artifact": {"metadata": {"name": "BERT base", "id": artifact_id, "type": "model"}, "data": {"url": BERT}},
        "artifact_error": None,
        "rating": MODEL_RATING,
        "rating_error": None,
        "dataset_id": dataset.json()["artifact_id"],
        "dataset_name": "SQuAD",
        "dataset_url": SQUAD,
        "code_id": None,
        "code_name": None,
        "code_url": None,
        "display_error": None,
    }
    assert api.get(f"/api/artifacts/{artifact_id}/").json() == body

    replaced = api.put(
        f"/api/artifacts/{artifact_id}/", {"artifact_type": "model", "name": "BERT v2", "url": BERT}, format="json"
    )
    assert replaced.status_code == 200
    assert replaced.json()["name_normalized"] == "bert-v2" and replaced.json()["rating"] is None

    assert api.delete(f"/api/artifacts/{artifact_id}/").status_code == 204
    assert api.get(f"/api/artifacts/{artifact_id}/").status_code == 404
    missing = api.delete(f"/api/artifacts/{artifact_id}/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_duplicate_url_is_409_and_no_second_item(artifacts_table, api):
    assert post(api, artifact_type="model", name="bert", url=BERT).status_code == 201
    again = post(api, artifact_type="model", name="bert copy", url=BERT)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_url" and artifact_id_for_url(BERT) in again.json()["detail"]
    assert artifacts_table.scan()["Count"] == 1


def test_list_filters_and_follows_next(artifacts_table, api):
    for name, url, kind in [
        ("bert-base", BERT, "model"),
        ("BERT large", "https://huggingface.co/bert-large", "model"),
        ("SQuAD", SQUAD, "dataset"),
        ("google-research/bert", "https://github.com/google-research/bert", "code"),
    ]:
        assert post(api, artifact_type=kind, name=name, url=url).status_code == 201

    def names(url):
        collected = []
        while url:
            body = api.get(url).json()
            collected += [result["name"] for result in body["results"]]
            url = body["next"]
        return sorted(collected)

    assert names("/api/artifacts/?limit=1") == sorted(["bert-base", "BERT large", "SQuAD", "google-research/bert"])
    assert names("/api/artifacts/?artifact_type=model&limit=1") == ["BERT large", "bert-base"]
    assert names("/api/artifacts/?name=Bert%20L") == ["BERT large"]
    assert names("/api/artifacts/?name=bert&artifact_type=code") == ["google-research/bert"]
    assert names(f"/api/artifacts/?url={SQUAD}") == ["SQuAD"]
    first = api.get("/api/artifacts/?artifact_type=model&limit=1").json()
    assert first["next"].startswith("http://testserver/api/artifacts/?") and "artifact_type=model" in first["next"]


def test_a_list_page_is_one_request(artifacts_table, api):
    post(api, artifact_type="model", name="bert", url=BERT)
    api.get("/api/artifacts/")  # learns the table's indexes once
    for query in ("", "?artifact_type=model", "?name=bert", f"?url={BERT}", "?artifact_type=model&name=be"):
        with watch_calls() as calls:
            assert api.get(f"/api/artifacts/{query}").status_code == 200
        assert len(calls) == 1, (query, calls)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"artifact_type": "notebook"}, "artifact_type"),
        ({"url": None}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/model.bin"}, "url"),
        ({"name": "n" * 201}, "name"),
        ({"name": "!!!"}, "name"),
        ({"artifact": '{"not": "an object"}'}, "artifact"),
        ({"artifact": [1, 2]}, "artifact"),
        ({"rating": '{"net_score": 0.5}'}, "rating"),
        ({"rating": {"net_score": 1.2}}, "rating"),
        ({"rating": {"bus_factor": -0.5}}, "rating"),
        ({"rating": {"net_score_latency": -1}}, "rating"),
        ({"rating": {"net_score": True}}, "rating"),
        ({"artifact_type": "dataset", "rating": {"net_score": 0.5}}, "rating"),
    ],
)
def test_bad_bodies_are_400_with_the_field_named(artifacts_table, api, body, field):
    full = {"artifact_type": "model", "name": "bert", "url": BERT, **body}
    full = {key: value for key, value in full.items() if value is not None}
    response = post(api, **full)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]
    assert artifacts_table.scan()["Count"] == 0


def test_invalid_json_and_out_of_range_floats_in_the_body_are_400(artifacts_table, api):
    broken = api.post("/api/artifacts/", data='{"artifact_type": "model", "name": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
    nan = api.post(
        "/api/artifacts/",
        data='{"artifact_type": "model", "name": "b", "url": "https://x.org", "rating": {"net_score": NaN}}',
        content_type="application/json",
    )
    assert nan.status_code == 400
    assert artifacts_table.scan()["Count"] == 0


def test_links_to_unknown_artifacts_are_400(artifacts_table, api):
    response = post(api, artifact_type="model", name="bert", url=BERT, dataset_id="nope")
    assert response.status_code == 400 and "not a registered dataset" in response.json()["detail"]


def test_a_huge_artifact_is_400_not_500(artifacts_table, api):
    response = post(api, artifact_type="dataset", name="huge", url=SQUAD, artifact={"blob": "x" * 420_000})
    assert response.status_code == 400 and response.json()["code"] == "item_too_large"


@pytest.mark.parametrize(
    "query",
    ["artifact_type=notebook", "limit=0", "limit=201", "cursor=forged", "name=%20-%20", "name=" + "n" * 201],
)
def test_bad_queries_are_400(artifacts_table, api, query):
    response = api.get(f"/api/artifacts/?{query}")
    assert response.status_code == 400, response.json()


def test_replace_rules(artifacts_table, api):
    post(api, artifact_type="model", name="bert", url=BERT)
    artifact_id = artifact_id_for_url(BERT)
    moved = api.put(
        f"/api/artifacts/{artifact_id}/", {"artifact_type": "model", "name": "b", "url": SQUAD}, format="json"
    )
    assert moved.status_code == 400 and "cannot change" in moved.json()["detail"]
    unknown = api.put("/api/artifacts/nope/", {"artifact_type": "model", "name": "b", "url": BERT}, format="json")
    assert unknown.status_code == 404
    assert api.patch(f"/api/artifacts/{artifact_id}/", {"name": "x"}, format="json").status_code == 405


@pytest.mark.parametrize("artifact_id", ["a/b", "space here", "line\nbreak", "名前", "per%cent", "x" * 1000])
def test_ids_with_odd_characters(artifacts_table, api, artifact_id):
    artifacts_table.put_item(Item=upstream_item(artifact_id, url="https://hf.co/odd"))
    path = f"/api/artifacts/{quote(artifact_id, safe='')}/"
    response = api.get(path)
    assert response.status_code == 200 and response.json()["artifact_id"] == artifact_id
    assert api.delete(path).status_code == 204
    assert artifacts_table.scan()["Count"] == 0


def test_an_id_too_long_for_dynamodb_is_404(artifacts_table, api):
    assert api.get(f"/api/artifacts/{'x' * 3000}/").status_code == 404


def test_malformed_stored_json_comes_back_as_an_error_value(artifacts_table, api):
    artifacts_table.put_item(Item=upstream_item("bad", rating="{oops", artifact=json.dumps([1])))
    body = api.get("/api/artifacts/bad/").json()
    assert body["rating"] is None and body["rating_error"].startswith("invalid JSON")
    assert body["artifact"] is None and "not an object" in body["artifact_error"]
    assert api.get("/api/artifacts/").json()["results"][0]["rating_error"] == body["rating_error"]


def test_permissions(artifacts_table, make_user):
    client = APIClient()
    assert client.get("/api/artifacts/").status_code == 401
    client.force_authenticate(make_user("plain"))
    assert client.get("/api/artifacts/").status_code == 403
    client.force_authenticate(make_user("viewer", perms=["artifacts.view_artifact"]))
    assert client.get("/api/artifacts/").status_code == 200
    assert (
        client.post("/api/artifacts/", {"artifact_type": "model", "name": "b", "url": BERT}, format="json").status_code
        == 403
    )
    assert client.delete("/api/artifacts/whatever/").status_code == 403
    client.force_authenticate(make_user("outsider", perms=["artifacts.view_artifact"], staff=False))
    assert client.get("/api/artifacts/").status_code == 403
    assert artifacts_table.scan()["Count"] == 0


def test_a_missing_table_is_503_naming_it(artifacts_table, api):
    dynamodb_client().delete_table(TableName=settings.DYNAMODB_ARTIFACTS_TABLE)
    response = api.get("/api/artifacts/abc/")
    assert response.status_code == 503
    assert response.json()["code"] == "table_missing" and settings.DYNAMODB_ARTIFACTS_TABLE in response.json()["detail"]


def test_the_schema_documents_the_routes_and_filters(artifacts_table, client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/artifacts/"])
    assert {"get", "put", "delete"} <= set(schema["paths"]["/api/artifacts/{artifact_id}/"])
    listing = schema["paths"]["/api/artifacts/"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ArtifactPage"
    }
    parameters = {parameter["name"] for parameter in listing["parameters"]}
    assert {"artifact_type", "url", "name", "limit", "cursor"} <= parameters


def test_stored_json_numbers_no_response_could_carry_are_error_values(artifacts_table, api):
    artifacts_table.put_item(Item=upstream_item("nan", rating='{"net_score": NaN}', artifact='{"size": 1e400}'))
    response = api.get("/api/artifacts/nan/")
    assert response.status_code == 200
    body = response.json()
    assert body["rating"] is None and body["rating_error"] == "invalid JSON: NaN is not a JSON number"
    assert body["artifact"] is None and body["artifact_error"] == "invalid JSON: 1e400 is too large for a number"
