"""SMS sending benchmark: N allotment notices waiting in the real outbox
(teeka.models.OutboundSms), handed over by the real sending tasks
(teeka.tasks.send_pending_sms and help_send_sms, run in SENDERS processes as
Celery worker processes run them) to a fake gateway that takes 20 ms a call
and at most 50 calls at once, each call up to 100 messages (--mode bulk) or
one (--mode single). While they go out, a cancellation is written every
couple of seconds behind them; each must reach the gateway within 10 s.

    .venv/bin/python benchmarks/sms.py --messages 500000

Prints `RESULT sent=<n> seconds=<n> per_s=<n> cancel_p95_s=<n> lost=<n> duplicated=<n>`
(lost and duplicated counted by the gateway against the outbox), and a
BASELINE line: the old sender (one message per transaction, one call at a
time) on a sample, in the same run, and the ratio. Uses its own database
(default teeka_bench_sms), dropped and created afresh; quiet hours are off.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import seed as shared_seed  # noqa: E402 - needs the path above
from teeka.sms import BaseBackend  # noqa: E402 - needs the path above; reads no settings

CALL_SECONDS = 0.020
CONCURRENT_CALLS = 50
BULK = 100


# The fake gateway ---------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    calls = threading.BoundedSemaphore(CONCURRENT_CALLS)
    lock = threading.Lock()
    received: Counter = Counter()
    cancels: dict[str, float] = {}
    last_at = 0.0

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        messages = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if len(messages) > BULK:
            self._answer(413, {"error": "at most 100 a call"})
            return
        with _Gateway.calls:  # a 51st call waits, as at the real gateway
            time.sleep(CALL_SECONDS)
        now = time.time()
        with _Gateway.lock:
            for message in messages:
                key = message["text"].split(" ", 1)[0]
                _Gateway.received[key] += 1
                if key.startswith("C"):
                    _Gateway.cancels.setdefault(key, now)
            _Gateway.last_at = now
        self._answer(200, {"accepted": len(messages)})

    def do_GET(self) -> None:  # noqa: N802
        """Counts (cheap, for progress), and with ?keys=1 what was received."""
        with _Gateway.lock:
            received = _Gateway.received
            body = {
                "allotments": sum(1 for key in received if key.startswith("A")),
                "duplicated": sum(n - 1 for n in received.values() if n > 1),
                "cancels": dict(_Gateway.cancels),
                "last_at": _Gateway.last_at,
            }
            if self.path.endswith("keys=1"):
                body["keys"] = list(received)
        self._answer(200, body)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def run_gateway(port: int) -> None:
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    ThreadingHTTPServer(("127.0.0.1", port), _Gateway).serve_forever()


def _call(path: str, port: int, body: list | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        if body is None:
            conn.request("GET", path)
        else:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


# The backend the senders use (SMS_BACKEND=benchmarks.sms.GatewayBackend) --------


class GatewayBackend(BaseBackend):
    """The gateway's HTTP API: a bulk call of up to 100, or single calls,
    50 at a time (the outbox's thread pool), per sending process."""

    @property
    def bulk(self) -> bool:
        return os.environ["BENCH_GATEWAY_MODE"] == "bulk"

    @property
    def concurrency(self) -> int:
        return 1 if self.bulk else CONCURRENT_CALLS

    @property
    def chunk_size(self) -> int:
        return BULK if self.bulk else CONCURRENT_CALLS

    def send(self, *, to: str, text: str) -> None:
        _call("/send", int(os.environ["BENCH_GATEWAY_PORT"]), [{"to": to, "text": text}])

    def send_many(self, messages: list[tuple[str, str]]) -> list[str | None]:
        if not self.bulk:
            return super().send_many(messages)
        body = [{"to": to, "text": text} for to, text in messages]
        _call("/send", int(os.environ["BENCH_GATEWAY_PORT"]), body)
        return [None] * len(messages)


# The run ----------------------------------------------------------------------------


def setup_django(database_url: str, *, gateway_port: int, mode: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="teeka.settings",
        SMS_BACKEND="benchmarks.sms.GatewayBackend",
        BENCH_GATEWAY_PORT=str(gateway_port),
        BENCH_GATEWAY_MODE=mode,
        # Whatever the hour here: no quiet hours.
        SMS_QUIET_START_HOUR="24",
        SMS_QUIET_END_HOUR="0",
    )
    os.environ.pop("REDIS_URL", None)  # the tasks run in these processes
    import django

    django.setup()


# An allotment notice of the usual length, in Hindi; the first word is the
# message's own key, for the gateway's count.
TEXT = (
    " टीका: सुनीता साहू (संदर्भ 1234-5678-9) को खुराक 1 का स्लॉट मिला: PHC अभनपुर, "
    "02-12-2026, 09:00-17:00। कोड 4821। पर्ची: teeka.cg.gov.in। हेल्पलाइन 104"
)

SEED_SQL = """
INSERT INTO teeka_outboundsms ("to", text, kind, dedupe_key, status, priority, created_at,
                               send_after, expires_at, attempts, last_error)
SELECT '+9170' || lpad(i::text, 8, '0'), 'A' || i || %s, 'allotted', 'allotted:' || i,
       'pending', 2, now(), now() - interval '1 second', now() + interval '2 days', 0, ''
FROM generate_series(1, %s) i;
ANALYZE teeka_outboundsms;
"""


def seed(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, [TEXT, n])


def sender(database_url: str, gateway_port: int, mode: str, lead: bool, stop_at: float) -> None:
    """One worker process running the sending tasks, as beat and an
    allocation run would start them, until the outbox is empty."""
    setup_django(database_url, gateway_port=gateway_port, mode=mode)
    from teeka.models import OutboundSms
    from teeka.tasks import help_send_sms, send_pending_sms

    task = send_pending_sms if lead else help_send_sms
    while time.time() < stop_at:
        task()  # as a worker runs it: the task's own body
        if not lead and not OutboundSms.objects.filter(status="pending").exists():
            return


def write_cancellations(stop: threading.Event, written: dict[str, float]) -> None:
    """A cancellation every 2 s, behind everything already waiting."""
    from teeka.outbox import queue_text

    n = 0
    while not stop.wait(2.0):
        n += 1
        key = f"C{n}"
        queue_text(to=f"+9180{n:08d}", kind="appointment_cancelled", text=f"{key} {TEXT}")
        written[key] = time.time()


def old_way(sample: int, gateway_port: int) -> float:
    """The sender as it was: one message per transaction, one gateway call at
    a time; messages a second on `sample` of them."""
    from django.db import transaction

    from teeka.models import OutboundSms

    start = time.monotonic()
    for _ in range(sample):
        with transaction.atomic():
            message = (
                OutboundSms.objects.select_for_update(skip_locked=True)
                .filter(status="pending", kind="baseline")
                .order_by("send_after", "pk")
                .first()
            )
            _call("/send", gateway_port, [{"to": message.to, "text": message.text}])
            message.status, message.attempts = "sent", 1
            message.save(update_fields=["status", "attempts"])
    return sample / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--senders", type=int, default=4, help="worker processes sending")
    parser.add_argument("--mode", choices=["bulk", "single"], default="bulk")
    parser.add_argument("--db", default="teeka_bench_sms")
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--port", type=int, default=8199, help="the fake gateway's port")
    parser.add_argument("--baseline-sample", type=int, default=1000)
    parser.add_argument("--limit-seconds", type=int, default=1800)
    args = parser.parse_args()
    database_url = f"{args.db_url}/{args.db}"

    shared_seed.recreate(database_url)
    gateway = multiprocessing.Process(target=run_gateway, args=(args.port,), daemon=True)
    gateway.start()
    setup_django(database_url, gateway_port=args.port, mode=args.mode)
    seed(args.messages)
    print(f"seeded {args.messages} allotment notices; {args.senders} senders, {args.mode} calls")

    from django.db import connection

    connection.close()  # not shared with the senders
    stop_at = time.time() + args.limit_seconds
    context = multiprocessing.get_context("spawn")
    senders = [
        context.Process(target=sender, args=(database_url, args.port, args.mode, i == 0, stop_at))
        for i in range(args.senders)
    ]
    start = time.time()
    for process in senders:
        process.start()
    stop, written = threading.Event(), {}
    cancellations = threading.Thread(target=write_cancellations, args=(stop, written))
    cancellations.start()
    total = _wait_until_sent(args.messages, args.port, stop_at)
    stop.set()
    cancellations.join()
    time.sleep(3)  # the last cancellation's sender
    for process in senders:
        process.terminate()
        process.join()

    stats = _call("/stats?keys=1", args.port)
    seconds = stats["last_at"] - start if total else float("nan")
    received = set(stats["keys"])
    expected = {f"A{i}" for i in range(1, args.messages + 1)} | set(written)
    lost = len(expected - received)
    sent = stats["allotments"]
    waits = sorted(stats["cancels"][k] - at for k, at in written.items() if k in stats["cancels"])
    p95 = statistics.quantiles(waits, n=20)[-1] if len(waits) >= 2 else float("nan")
    print(
        f"RESULT sent={sent} seconds={seconds:.1f} per_s={sent / seconds:.0f} "
        f"cancel_p95_s={p95:.2f} lost={lost} duplicated={stats['duplicated']}"
    )
    print(f"  cancellations: {len(written)} written, longest wait {max(waits, default=0):.2f} s")
    _baseline(args, per_s=sent / seconds)
    gateway.terminate()


def _wait_until_sent(n: int, port: int, stop_at: float) -> bool:
    last = 0
    while time.time() < stop_at:
        time.sleep(2)
        got = _call("/stats", port)["allotments"]
        if got != last:
            print(f"  {got} handed over", flush=True)
            last = got
        if got >= n:
            return True
    return False


def _baseline(args, *, per_s: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL.replace("'A' || i", "'B' || i")
            .replace("'allotted'", "'baseline'")
            .replace("'allotted:'", "'baseline:'"),
            [TEXT, args.baseline_sample],
        )
    old = old_way(args.baseline_sample, args.port)
    print(
        f"BASELINE old_sender_per_s={old:.0f} (one per transaction, one call at a time, "
        f"{args.baseline_sample} messages) ratio={per_s / old:.1f}"
    )


if __name__ == "__main__":
    main()
