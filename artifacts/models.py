from django.db import models


class Artifact(models.Model):
    """Stands for an artifacts_metadata item in the admin and in permissions; it has no table
    (the data is read through `artifacts.gateway`)."""

    artifact_id = models.CharField(primary_key=True, max_length=255)

    class Meta:
        managed = False
        default_permissions = ("view", "add", "change", "delete")

    def __str__(self):
        return self.artifact_id
