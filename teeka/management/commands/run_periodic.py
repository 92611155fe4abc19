"""The embedded default's stand-in for Celery beat: runs the beat schedule's
tasks in this process, so a demo without Redis still allots and sends SMS."""

import time
from datetime import datetime

from celery.schedules import maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from teeka.celery import app


class Command(BaseCommand):
    help = "Run the periodic tasks in-process (only for the embedded default, without Redis)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run every task once, then stop")

    def handle(self, *args, once: bool = False, **options) -> None:
        app.loader.import_default_modules()  # registers every app's tasks
        entries = {
            name: maybe_schedule(entry["schedule"], app=app)
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        }
        last_run: dict[str, datetime] = {}
        while True:
            for name, schedule in entries.items():
                due = name not in last_run or schedule.is_due(last_run[name]).is_due
                if due:
                    self._run(name)
                    last_run[name] = timezone.now()
            if once:
                return
            time.sleep(10)

    def _run(self, name: str) -> None:
        task = settings.CELERY_BEAT_SCHEDULE[name]["task"]
        try:
            result = app.tasks[task].apply(throw=True)
            self.stdout.write(f"{timezone.localtime():%H:%M:%S} {name}: {result.result}")
        except Exception as error:  # a failing job must not stop the others
            self.stderr.write(f"{timezone.localtime():%H:%M:%S} {name} failed: {error!r}")
