"""Base for management commands that talk to AWS: project errors become a clean message and a
non-zero exit (Django's CommandError), never a traceback."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError


class AwsCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except AppError as err:
            raise CommandError(err.detail) from err
