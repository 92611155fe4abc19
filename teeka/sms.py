"""Pluggable SMS backends.

A backend sends one message to one mobile and raises SmsError when the gateway
refuses; callers (the outbox sender) decide about retries. The outbox hands
over chunks with send_many(): a gateway with a bulk call overrides it, and
one that takes parallel calls sets `concurrency`.
"""

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    pass


class BaseBackend:
    # Calls the gateway accepts at once; a chunk is this many messages.
    concurrency = 1

    @property
    def chunk_size(self) -> int:
        return self.concurrency

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError

    def send_many(self, messages: list[tuple[str, str]]) -> list[str | None]:
        """Sends each (to, text); for each, None if the gateway took it, else
        why not. Never raises for one message's failure."""
        if self.concurrency > 1 and len(messages) > 1:
            return list(_pool(self.concurrency).map(self._try, messages))
        return [self._try(message) for message in messages]

    def _try(self, message: tuple[str, str]) -> str | None:
        try:
            self.send(to=message[0], text=message[1])
        except Exception as error:  # any gateway failure: the outbox tries again
            return str(error) or type(error).__name__
        return None


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sms")


class FileBackend(BaseBackend):
    """Appends one JSON line per message: demos and tests read codes from it."""

    def send(self, *, to: str, text: str) -> None:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": to, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class ConsoleBackend(BaseBackend):
    def send(self, *, to: str, text: str) -> None:
        print(f"SMS to {to}: {text}")


@cache
def _backend_class(path: str) -> type[BaseBackend]:
    return import_string(path)


def get_backend() -> BaseBackend:
    return _backend_class(settings.SMS_BACKEND)()


def read_file_outbox() -> list[dict]:
    """Every message the file backend has written, oldest first."""
    path = settings.SMS_FILE_PATH
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sign_inbound(body: bytes) -> str:
    """The signature the gateway sends with an inbound message."""
    key = (settings.SMS_INBOUND_SECRET or "").encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def inbound_is_genuine(body: bytes, signature: str) -> bool:
    if not settings.SMS_INBOUND_SECRET:
        return False
    return hmac.compare_digest(sign_inbound(body), signature.strip().lower())
