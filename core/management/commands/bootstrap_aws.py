from django.core.management.base import CommandError

from core import bootstrap
from core.commands import AwsCommand


class Command(AwsCommand):
    help = "Create the DynamoDB tables (with their indexes) and the S3 bucket where missing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report; exit non-zero when something is missing."
        )

    def handle(self, *args, check=False, **options):
        if not check:
            for created in bootstrap.ensure():
                self.stdout.write(self.style.SUCCESS(f"created {created}"))
        missing = []
        for state in bootstrap.inspect():
            label = f"{state.kind} {state.name}"
            if state.exists:
                self.stdout.write(f"ok       {label}")
            elif state.kind == "index":
                # An upstream table created without our indexes still works (paged Scans).
                self.stdout.write(f"degraded {label}: {state.note}")
            else:
                missing.append(label)
                self.stdout.write(self.style.ERROR(f"missing  {label}"))
        if missing:
            raise CommandError(f"Missing: {', '.join(missing)}. Run `python manage.py bootstrap_aws` to create them.")
