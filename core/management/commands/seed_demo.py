import ipaddress
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from core.commands import AwsCommand

# Each app writes its own demo data; see <app>/demo.py.
DEMO_MODULES = ("projects.demo", "jobs.demo", "artifacts.demo")


class Command(AwsCommand):
    help = (
        "Write realistic demo data (idempotent: fixed ids, overwritten on each run). Only into an emulator"
        " on this machine (loopback endpoints for DynamoDB and S3) unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Write even where the endpoints are not loopback (AWS itself)."
        )

    def handle(self, *args, force=False, **options):
        endpoints = {"DynamoDB": settings.AWS_ENDPOINT_URL_DYNAMODB, "S3": settings.AWS_ENDPOINT_URL_S3}
        remote = {service: url or "AWS" for service, url in endpoints.items() if not is_loopback(url)}
        if remote and not force:
            where = ", ".join(f"{service} at {url}" for service, url in remote.items())
            raise CommandError(
                f"Refusing to write demo data (it overwrites items with fixed ids) into {where}: seed_demo"
                " writes only into an emulator on this machine. Add --force if that data is yours to lose."
            )
        for path in DEMO_MODULES:
            summary = import_module(path).seed()
            self.stdout.write(f"{path.split('.')[0]}: {summary}")


def is_loopback(url: str | None) -> bool:
    try:
        host = urlsplit(url or "").hostname or ""
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # no endpoint (AWS itself), a host name, or a url that does not parse
        return False
