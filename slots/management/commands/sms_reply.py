"""Simulates a citizen's reply to a reminder, for demos and tests: the text
goes through the same signed webhook the gateway posts to.

    manage.py sms_reply +919812345678 NAHI
"""

from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse

from teeka.sms import sign_inbound


class Command(BaseCommand):
    help = "Posts a reply SMS from a mobile to /sms/inbound/, signed as the gateway would."

    def add_arguments(self, parser) -> None:
        parser.add_argument("mobile")
        parser.add_argument("text", nargs="+")

    def handle(self, *args, mobile: str, text: list[str], **options) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        body = urlencode({"from": mobile, "text": " ".join(text)}).encode()
        response = client.post(
            reverse("inbound_sms"),
            body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Teeka-Signature": sign_inbound(body)},
        )
        if response.status_code != 200:
            raise CommandError(f"The webhook answered {response.status_code}.")
        self.stdout.write(response.json()["outcome"])
