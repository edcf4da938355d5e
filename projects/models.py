from django.db import models


class Project(models.Model):
    """Stands for an AgentProjects item in the admin and in permissions; it has no table
    (the data is read through `projects.gateway`)."""

    project_id = models.CharField(primary_key=True, max_length=255)

    class Meta:
        managed = False
        default_permissions = ("view", "change")

    def __str__(self):
        return self.project_id
