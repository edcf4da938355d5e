"""The OpenAPI schema: every operation documents the error bodies it can answer, in the one shape
`core.api.errors.exception_handler` gives them, so clients (and schema-driven tests) know them all."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from .errors import ErrorSerializer

INVALID_BODY = "Invalid input: DRF's field errors under `errors`, or the detail says what is wrong."
INVALID_QUERY = (
    "Invalid query parameters (field errors under `errors`), or `invalid_cursor`: a cursor that was tampered "
    "with or issued for another listing."
)
ERROR_MEANINGS = {
    401: "No credentials, or a token that is not valid.",
    403: "Not active staff, or without the resource's view (reads) or change (writes) permission.",
    404: "Nothing with this id.",
    409: "Other writers kept changing the item, or its stored data must be repaired first (the detail says which).",
    413: "The request body is larger than API_MAX_BODY_BYTES.",
    415: "The body is not sent as application/json.",
    429: "Too many requests (anonymous or user throttle): retry after Retry-After seconds.",
    503: "AWS is unreachable or throttling, or a table or the bucket is missing (the detail names it and the fix).",
}
WRITES = {"POST", "PUT", "PATCH"}


class ApiSchema(AutoSchema):
    """Adds the error responses an operation can give to those its view declares (declared ones,
    with their more specific descriptions, win), and documents request bodies that refuse fields
    they do not declare (`refuses_unknown_fields = True` on the serializer) as closed objects."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for status, meaning in self.error_meanings().items():
            response = OpenApiResponse(ErrorSerializer, description=meaning)
            bodies.setdefault(str(status), self._get_response_for_code(response, str(status), direction=direction))
        return dict(sorted(bodies.items()))

    def error_meanings(self) -> dict[int, str]:
        """The errors this operation can answer, by status."""
        addressed = "{" in self.path  # the path names one item
        meanings = {status: ERROR_MEANINGS[status] for status in (401, 403, 429, 503)}
        if addressed:
            meanings[404] = ERROR_MEANINGS[404]
        if self.method in WRITES:
            meanings.update({400: INVALID_BODY, **{status: ERROR_MEANINGS[status] for status in (409, 413, 415)}})
        elif not addressed:  # a listing: filters, limit and cursor
            meanings[400] = INVALID_QUERY
        return meanings
