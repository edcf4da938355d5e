"""`/api/`: what the API holds, as links (the URL `make run` prints)."""

from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView

# name -> URL name of each resource's list, and of the API's documentation.
RESOURCES = {
    "projects": "project-list",
    "jobs": "job-list",
    "artifacts": "artifact-list",
    "repairs": "repairs",
    "schema": "api-schema",
    "docs": "api-docs",
}


class ApiRootView(APIRootView):
    """Projects, jobs, artifacts and stale-key repairs stored in DynamoDB and S3. Every resource
    needs a staff user with its permission; these links, like the schema, are public."""

    name = "DynamoDB window API"
    api_root_dict = RESOURCES
    permission_classes = [AllowAny]
