"""Requests per filtered list page when the status asked for is rare (1% of jobs), at the
corpus's table size: every page of the listing followed to its end, through the API and the admin.

A filtered page reads DynamoDB's full pages until it holds `limit` matches, the table ends or it
has made LIST_MAX_REQUESTS requests; the comparison is a listing whose every page is one request
of `limit` items evaluated (one page per 25 items of the table).
"""

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

from core.dynamo.connection import dynamodb_table, watch_calls

RARE_STATUS = "cancelled"  # no job of the corpus has it; the admin offers it as a filter
RARE_SHARE = 0.01
LIMIT = 25


@dataclass(frozen=True)
class FilterWalk:
    surface: str
    path: str
    table_items: int
    matches: int
    requests: list[int]  # DynamoDB requests of each page
    results: list[int]  # results on each page

    @property
    def pages(self) -> int:
        return len(self.requests)

    @property
    def one_request_pages(self) -> int:
        """Pages (and requests) of the same listing at one request of LIMIT items evaluated per page."""
        return math.ceil(self.table_items / LIMIT)


def mark_rare_jobs() -> tuple[int, int]:
    """Give every 100th job (by id) the rare status: (table items, jobs marked)."""
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    ids, request = [], {"ProjectionExpression": "job_id"}
    while True:
        response = table.scan(**request)
        ids += [item["job_id"] for item in response["Items"]]
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    every = round(1 / RARE_SHARE)
    marked = sorted(ids)[::every]
    for job_id in marked:
        table.update_item(
            Key={"job_id": job_id},
            UpdateExpression="SET #status = :status",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": RARE_STATUS},
        )
    return len(ids), len(marked)


def measure(*, api: Client, admin: Client) -> list[FilterWalk]:
    table_items, matches = mark_rare_jobs()
    return [
        _walk_api(api, f"/api/jobs/?status={RARE_STATUS}&limit={LIMIT}", table_items, matches),
        _walk_admin(admin, f"/admin/jobs/job/?status={RARE_STATUS}", table_items, matches),
    ]


def _walk_api(api: Client, path: str, table_items: int, matches: int) -> FilterWalk:
    requests, results, url = [], [], path
    while url:
        with watch_calls() as calls:
            body = api.get(url).json()
        requests.append(len(calls))
        results.append(len(body["results"]))
        parts = urlsplit(body["next"]) if body["next"] else None
        url = f"{parts.path}?{parts.query}" if parts else None
    return FilterWalk("API", path, table_items, matches, requests, results)


def _walk_admin(admin: Client, path: str, table_items: int, matches: int) -> FilterWalk:
    requests, results, url = [], [], path
    while url:
        with watch_calls() as calls:
            response = admin.get(url)
        requests.append(len(calls))
        context = response.context_data  # a TemplateResponse keeps the context it rendered
        results.append(len(context["rows"]))
        url = urlsplit(path).path + context["next_url"] if context["next_url"] else None
    return FilterWalk("Admin", path, table_items, matches, requests, results)
