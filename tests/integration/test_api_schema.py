"""The OpenAPI schema, as CI checks it: generated with no warnings and valid, listing exactly the
contract's routes (which are exactly the routes Django serves under /api/), pages documented as
{results, next} objects and every error body an operation can answer documented."""

import json
import re

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from core.dynamo.connection import dynamodb_table

# CONTRACT.md section 4, route by route.
CONTRACT_ROUTES = {
    "/api/projects/": {"get"},
    "/api/projects/{project_id}/": {"get", "patch"},
    "/api/projects/{project_id}/stages/{stage}/": {"patch"},
    "/api/projects/{project_id}/stages/{stage}/artifacts/": {"put"},
    "/api/jobs/": {"get"},
    "/api/jobs/{job_id}/": {"get", "patch"},
    "/api/artifacts/": {"get", "post"},
    "/api/artifacts/{artifact_id}/": {"get", "put", "delete"},
    "/api/repairs/": {"get"},
    "/api/repairs/scans/": {"post"},
    "/api/repairs/scans/{scan_id}/": {"get"},
}
PAGES = {"/api/projects/", "/api/jobs/", "/api/artifacts/"}
ALWAYS = {"401", "403", "429", "503"}
DOCUMENTATION_ROUTES = {"/api/schema/", "/api/docs/"}
ROOT = "/api/"  # the links to the resources


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """Generated as CI does it: `manage.py spectacular --validate --fail-on-warn` (any warning or
    an invalid document fails the command)."""
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def served_routes() -> dict[str, set[str]]:
    """Every route Django resolves under /api/ (both spellings: with and without the trailing
    slash) and the methods its view answers."""
    routes = {}

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
                continue
            route = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
            if not f"{route}/".startswith("/api/"):  # the root's "/api" too
                continue
            view = pattern.callback
            if not hasattr(view, "cls"):  # the JSON 404 for any other path under /api/
                continue
            if hasattr(view, "actions"):  # a ViewSet route: method -> action
                methods = set(view.actions)
            else:
                methods = {m for m in view.cls.http_method_names if hasattr(view.cls, m)}
            routes[route] = routes.get(route, set()) | (methods - {"options", "head"})  # what DRF adds

    walk(get_resolver().url_patterns, "")
    return routes


def resolve(schema: dict, reference: dict) -> dict:
    name = reference["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def operations(schema: dict):
    for route, entry in schema["paths"].items():
        for method, operation in entry.items():
            yield route, method, operation


def test_the_schema_lists_exactly_the_contract_routes_and_django_serves_exactly_those(schema):
    documented = {route: set(entry) for route, entry in schema["paths"].items()}
    assert documented == CONTRACT_ROUTES
    served = served_routes()
    canonical = {route: methods for route, methods in served.items() if route.endswith("/")}
    assert set(canonical) - DOCUMENTATION_ROUTES - {ROOT} == set(CONTRACT_ROUTES)
    assert {route: served[route] for route in CONTRACT_ROUTES} == CONTRACT_ROUTES
    # Each route also answers without its trailing slash, with the same methods.
    bare = {route: methods for route, methods in served.items() if not route.endswith("/")}
    assert bare == {route.rstrip("/"): methods for route, methods in canonical.items()}


def test_every_operation_needs_a_token_or_the_admin_session(schema):
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    for route, method, operation in operations(schema):
        assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], (route, method)


@pytest.mark.parametrize("route", sorted(PAGES))
def test_lists_are_documented_as_one_page_object(schema, route):
    listing = schema["paths"][route]["get"]
    page = resolve(schema, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert page["type"] == "object" and set(page["required"]) == {"results", "next"}
    assert page["properties"]["results"]["type"] == "array"
    next_page = page["properties"]["next"]
    assert (next_page["type"], next_page["format"], next_page["nullable"]) == ("string", "uri", True)
    parameters = {parameter["name"]: parameter for parameter in listing["parameters"]}
    assert parameters["limit"]["schema"] == {"type": "integer", "maximum": 200, "minimum": 1, "default": 25}
    assert parameters["cursor"]["schema"]["type"] == "string"


def test_every_operation_documents_the_errors_it_can_answer_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"} and set(error["properties"]) == {"detail", "code", "errors"}
    for route, method, operation in operations(schema):
        addressed = "{" in route
        expected = set(ALWAYS)
        if addressed:
            expected.add("404")
        if method in {"post", "put", "patch"}:
            expected |= {"400", "409", "413", "415"}
        if not addressed:
            expected.add("400")
        responses = operation["responses"]
        assert expected <= set(responses), (route, method)
        for status in expected:
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (route, method, status)
            assert responses[status]["description"], (route, method, status)


def test_writes_document_their_request_bodies(schema):
    for route, method, operation in operations(schema):
        if method in {"post", "put", "patch"}:
            body = operation["requestBody"]["content"]
            assert list(body) == ["application/json"], (route, method)


# A valid body for each write, on items the `world` fixture below creates.
WRITES = {
    ("patch", "/api/projects/{project_id}/"): ("/api/projects/p1/", {"status": "running"}),
    ("patch", "/api/projects/{project_id}/stages/{stage}/"): ("/api/projects/p1/stages/s1/", {"status": "running"}),
    ("put", "/api/projects/{project_id}/stages/{stage}/artifacts/"): (
        "/api/projects/p1/stages/s1/artifacts/",
        {"artifacts": ["a.txt"]},
    ),
    ("patch", "/api/jobs/{job_id}/"): ("/api/jobs/j1/", {"status": "running"}),
    ("post", "/api/artifacts/"): ("/api/artifacts/", {"artifact_type": "code", "name": "c", "url": "https://e.com/c"}),
    ("put", "/api/artifacts/{artifact_id}/"): (
        "/api/artifacts/art_1/",
        {"artifact_type": "code", "name": "c", "url": "https://e.com/1"},
    ),
}


@pytest.fixture
def world(aws):
    snapshot = {"stages": [{"stage": "s1"}]}
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item={"project_id": "p1", "stages_snapshot": snapshot})
    dynamodb_table(settings.DYNAMODB_JOBS_TABLE).put_item(Item={"job_id": "j1"})
    item = {"artifact_id": "art_1", "artifact_type": "code", "url": "https://e.com/1", "name_normalized": "c"}
    dynamodb_table(settings.DYNAMODB_ARTIFACTS_TABLE).put_item(Item=item)


@pytest.mark.django_db
@pytest.mark.parametrize("method, route", sorted(WRITES))
def test_a_body_documented_as_closed_refuses_unknown_fields_and_an_open_one_ignores_them(
    schema, world, superuser, method, route
):
    body_schema = schema["paths"][route][method]["requestBody"]["content"]["application/json"]["schema"]
    closed = resolve(schema, body_schema).get("additionalProperties") is False
    url, body = WRITES[(method, route)]
    client = APIClient()
    client.force_authenticate(superuser)
    response = getattr(client, method)(url, {**body, "unknown_field": 1}, format="json")
    if closed:
        assert response.status_code == 400 and list(response.json()["errors"]) == ["unknown_field"]
    else:
        assert response.status_code in {200, 201}, response.content


@pytest.mark.django_db
def test_the_served_schema_is_the_generated_one_and_anyone_may_read_it(schema, client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(json.dumps(response.json()["paths"])) == json.loads(json.dumps(schema["paths"]))
