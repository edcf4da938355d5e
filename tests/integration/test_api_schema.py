"""The OpenAPI schema, as CI checks it: generated with no warnings and valid, listing exactly the
contract's routes (which are exactly the routes Django serves under /api/), pages documented as
{results, next} objects and every error body an operation can answer documented."""

import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLResolver, get_resolver

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
}
PAGES = {"/api/projects/", "/api/jobs/", "/api/artifacts/"}
ALWAYS = {"401", "403", "429", "503"}
DOCUMENTATION_ROUTES = {"/api/schema/", "/api/docs/"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """Generated as CI does it: `manage.py spectacular --validate --fail-on-warn` (any warning or
    an invalid document fails the command)."""
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def served_routes() -> dict[str, set[str]]:
    """Every route Django resolves under /api/ and the methods its view answers."""
    routes = {}

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
                continue
            route = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
            if not route.startswith("/api/"):
                continue
            view = pattern.callback
            if hasattr(view, "actions"):  # a ViewSet route: method -> action
                methods = set(view.actions)
            else:
                methods = {m for m in view.cls.http_method_names if hasattr(view.cls, m)} - {"options", "head"}
            routes[route] = routes.get(route, set()) | methods

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
    assert set(served) - DOCUMENTATION_ROUTES == set(CONTRACT_ROUTES)
    assert {route: served[route] for route in CONTRACT_ROUTES} == CONTRACT_ROUTES


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


@pytest.mark.django_db
def test_the_served_schema_is_the_generated_one_and_anyone_may_read_it(schema, client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(json.dumps(response.json()["paths"])) == json.loads(json.dumps(schema["paths"]))
