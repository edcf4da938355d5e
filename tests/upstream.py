"""Upstream writers as their own documents describe them, for racing them against ours.

`SeedWorker.update_job` is the job worker's writer of seed 003 ("DynamoDB Size Limit Fix and S3
Offloading"): it estimates the steps' size as their `json.dumps(default=str)` bytes plus 10%,
uploads them blind (no condition) to `jobs/{job_id}/execution_steps.json` when the estimate passes
300 KB, and then writes the item blind: SET the updates, and REMOVE `execution_steps_s3_key` when
the steps went inline. It never deletes an old object. It uses its own boto3 session."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from django.conf import settings

MAX_DYNAMODB_ITEM_SIZE = 300 * 1024  # the seed's threshold


class SeedWorker:
    def __init__(self):
        session = boto3.session.Session()
        self.table = session.resource("dynamodb", region_name=settings.AWS_DEFAULT_REGION).Table(
            settings.DYNAMODB_JOBS_TABLE
        )
        self.s3 = session.client("s3", region_name=settings.AWS_DEFAULT_REGION)

    @staticmethod
    def _estimate_dynamodb_size(value: Any) -> int:
        return int(len(json.dumps(value, default=str).encode("utf-8")) * 1.1)

    def upload(self, job_id: str, steps: list) -> str:
        key = f"jobs/{job_id}/execution_steps.json"
        self.s3.put_object(
            Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key, Body=json.dumps(steps), ContentType="application/json"
        )
        return key

    def update_job(self, job_id: str, updates: dict[str, Any]) -> None:
        updates = {**updates, "updated_at": datetime.now(UTC).isoformat()}
        stored_in_s3 = False
        if "execution_steps" in updates:
            steps = updates["execution_steps"]
            if self._estimate_dynamodb_size(steps) > MAX_DYNAMODB_ITEM_SIZE:
                updates["execution_steps_s3_key"] = self.upload(job_id, steps)
                del updates["execution_steps"]
                stored_in_s3 = True
            if not stored_in_s3 and "execution_steps_s3_key" not in updates:
                updates["execution_steps_s3_key"] = None  # marked for removal
        self.write_item(job_id, updates)

    def write_item(self, job_id: str, updates: dict[str, Any]) -> None:
        sets, removes, names, values = [], [], {}, {}
        for n, (name, value) in enumerate(updates.items()):
            names[f"#a{n}"] = name
            if value is None and name == "execution_steps_s3_key":
                removes.append(f"#a{n}")
            else:
                sets.append(f"#a{n} = :v{n}")
                values[f":v{n}"] = json.loads(json.dumps(value), parse_float=Decimal)  # DynamoDB numbers
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        self.table.update_item(
            Key={"job_id": job_id},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
