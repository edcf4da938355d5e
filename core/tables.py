"""The three DynamoDB tables the project serves, their keys and the indexes it uses.

The tables belong to other services; `bootstrap_aws` creates them (with these indexes) only where
they are missing, so gateways must also work on an upstream table that has its key only.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str


@dataclass(frozen=True)
class TableSpec:
    setting: str
    key: str
    indexes: tuple[IndexSpec, ...] = ()

    @property
    def name(self) -> str:
        return getattr(settings, self.setting)


ARTIFACT_TYPE_INDEX = IndexSpec("artifact_type-index", "artifact_type")
ARTIFACT_URL_INDEX = IndexSpec("url-index", "url")

PROJECTS = TableSpec("DYNAMODB_PROJECTS_TABLE", "project_id")
JOBS = TableSpec("DYNAMODB_JOBS_TABLE", "job_id")
ARTIFACTS = TableSpec("DYNAMODB_ARTIFACTS_TABLE", "artifact_id", (ARTIFACT_TYPE_INDEX, ARTIFACT_URL_INDEX))

TABLES = (PROJECTS, JOBS, ARTIFACTS)
