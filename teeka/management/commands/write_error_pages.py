"""Writes the busy page (templates/503.html, in Hindi and in English) as
static files, for nginx to show when no web node answers
(deploy/nginx/teeka.conf). Run after collectstatic, at each release."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.http import HttpRequest

from teeka.views import render_error_page


class Command(BaseCommand):
    help = "Write the 503 page in each language under STATIC_ROOT/errors/ for nginx."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dir", dest="directory", type=Path, default=Path(settings.STATIC_ROOT) / "errors"
        )

    def handle(self, *args, directory: Path, **options) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for language, _name in settings.LANGUAGES:
            request = HttpRequest()
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
            page = render_error_page(request, status=503)
            path = directory / f"503.{language}.html"
            path.write_bytes(page.content)
            self.stdout.write(f"wrote {path}")
