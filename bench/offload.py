"""Offload sizing on the corpus: the exact item size (what the project compares with
EXECUTION_STEPS_OFFLOAD_BYTES) against the upstream worker's `len(json.dumps(steps)) * 1.1`.

For every job that has steps, both rules decide inline or S3. Where the estimate keeps inline an
item that the exact size offloads, the item as the estimating writer would store it is put into
a scratch table, to see whether DynamoDB takes it. Every item the exact rule keeps inline is in
the Jobs table already (the corpus wrote them with batch puts), which a count confirms.
"""

from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.conf import settings

from core.dynamo.connection import dynamodb_client, dynamodb_table
from core.dynamo.errors import error_code
from core.dynamo.expressions import exists, expression_kwargs, not_exists
from core.dynamo.item_size import ITEM_SIZE_LIMIT
from jobs.gateway import STEPS, STEPS_KEY

from .corpus import Corpus

PROBE_TABLE = "bench-offload-probe"


@dataclass(frozen=True)
class OffloadComparison:
    margin: int
    jobs_with_steps: int
    exact_offloads: int
    estimate_offloads: int
    estimate_only: int  # offloaded by the estimate although they fit: an S3 object, and a GET per read
    exact_only: int  # kept inline by the estimate although past the margin
    exact_only_over_limit: int  # of those, past DynamoDB's 400 KB limit by AWS's sizing rules
    exact_only_refused: int  # of those, refused by the emulator when put
    largest_inline: int  # largest item the exact rule keeps inline
    inline_kept: int  # jobs the exact rule keeps inline
    inline_in_table: int  # items with inline steps and no key in the Jobs table (planted stale ones excluded)

    @property
    def inline_all_stored(self) -> bool:
        return self.inline_in_table == self.inline_kept and self.largest_inline <= self.margin


def compare(corpus: Corpus) -> OffloadComparison:
    margin = settings.EXECUTION_STEPS_OFFLOAD_BYTES
    sizings = corpus.sizings
    inline = [sizing for sizing in sizings if sizing.item_bytes <= margin]
    planted_inline = len(corpus.jobs["oversize_inline"])
    return OffloadComparison(
        margin=margin,
        jobs_with_steps=len(sizings),
        exact_offloads=sum(1 for sizing in sizings if sizing.item_bytes > margin),
        estimate_offloads=sum(1 for sizing in sizings if sizing.estimate_bytes > margin),
        estimate_only=sum(1 for s in sizings if s.estimate_bytes > margin and s.item_bytes <= margin),
        exact_only=len(corpus.disputed_items),
        exact_only_over_limit=sum(1 for s in sizings if s.estimate_bytes <= margin < ITEM_SIZE_LIMIT < s.item_bytes),
        exact_only_refused=_refused(corpus.disputed_items),
        largest_inline=max((sizing.item_bytes for sizing in inline), default=0),
        inline_kept=len(inline),
        inline_in_table=_count_inline_items() - planted_inline,
    )


def _count_inline_items() -> int:
    table = dynamodb_table(settings.DYNAMODB_JOBS_TABLE)
    request = {"Select": "COUNT", **expression_kwargs(filter=exists(STEPS) & not_exists(STEPS_KEY))}
    count = 0
    while True:
        response = table.scan(**request)
        count += response["Count"]
        if "LastEvaluatedKey" not in response:
            return count
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _refused(items: list[dict]) -> int:
    """How many of `items` DynamoDB (here: the emulator) refuses, put one by one into a scratch table."""
    if not items:
        return 0
    client = dynamodb_client()
    client.create_table(
        TableName=PROBE_TABLE,
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    refused = 0
    try:
        table = dynamodb_table(PROBE_TABLE)
        for item in items:
            try:
                table.put_item(Item=item)
            except ClientError as err:
                if error_code(err) != "ValidationException":
                    raise
                refused += 1
    finally:
        client.delete_table(TableName=PROBE_TABLE)
    return refused
