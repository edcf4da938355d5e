from importlib import import_module

from core.commands import AwsCommand

# Each app writes its own demo data; see <app>/demo.py.
DEMO_MODULES = ("projects.demo", "jobs.demo", "artifacts.demo")


class Command(AwsCommand):
    help = "Write realistic demo data (idempotent: fixed ids, overwritten on each run)."

    def handle(self, *args, **options):
        for path in DEMO_MODULES:
            summary = import_module(path).seed()
            self.stdout.write(f"{path.split('.')[0]}: {summary}")
