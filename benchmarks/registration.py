"""Registration throughput: the real citizen path against a bare baseline.

    .venv/bin/python benchmarks/registration.py [--clients 32] [--seconds 15]

Makes its own PostgreSQL database (--db, teeka_bench_reg), uses one Redis
database (--redis-db, 3; flushed first), starts gunicorn on --port (8101) with
DEBUG off, and drives it over HTTP with many client threads:

- ours: each client signs in (mobile, code read from the SMS file), then
  registers people through /my/add/ (the real form, service and constraints).
  An account holds four people, so clients sign in to their accounts before
  the clock starts and take the next one when one is full (signing in more
  inline if they run out, which the output then says: a sign-in on the clock
  makes "ours" look slower than it is);
- baseline: a bare Django view (benchmarks/harness.py) that validates a form of the same
  fields and inserts one row into a table of the same shape (same columns,
  unique indexes and checks) with one INSERT: no session, no account, no
  history row, no CSRF check, and no foreign keys (LIKE copies none), so it
  skips the place and account checks the real table makes. Same server, same
  settings and middleware.

The two take turns in --rounds slices of the --seconds each gets (baseline,
ours, ours, baseline, ...), so that a shared machine changing speed during the
run weighs on both alike. Prints registrations/s, p50 and p95 for both, and
ends with
RESULT registrations_per_s=<n> p95_ms=<n> baseline_per_s=<n> ratio=<ours/baseline>

All clients come from 127.0.0.1, so the per-address code limits are raised
for this server only (TEEKA_OTP_IP_SENDS / TEEKA_OTP_IP_TRIES).
"""

import argparse
import tempfile
import time
from pathlib import Path

import harness
from harness import Counter, SmsFile, run_clients, sign_in


def drive_ours(args, pools, mobiles, sms, serial, places, inline, results, index):
    pool = pools[index]
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        if not pool:
            inline.append(index)  # a sign-in on the clock: the run should not need it
        browser = pool.pop() if pool else sign_in(args.port, mobiles, sms)
        for _ in range(4):
            if time.monotonic() >= deadline:
                return
            ms, status = harness.timed(
                lambda b=browser: b.request("POST", "/my/add/", harness.person(serial, places))
            )
            results.append((ms, status == 302))
            # The page it redirects to shows "... is registered" and clears it;
            # without that, each POST would carry all the earlier messages.
            browser.cookies.pop("messages", None)


def warm_up(args, pools, mobiles, sms, _results, index) -> None:
    pools[index].extend(sign_in(args.port, mobiles, sms) for _ in range(args.accounts_per_client))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_server_arguments(parser, db="teeka_bench_reg", port=8101)
    parser.add_argument("--accounts-per-client", type=int, default=80)
    parser.add_argument("--template-db", help="or copy this database (a copy of a seeded one, say)")
    parser.add_argument(
        "--registrations",
        type=int,
        default=0,
        help="register into a copy of the seeded database of this many (benchmarks/seed.py)",
    )
    args = parser.parse_args()
    harness.client_django()

    with tempfile.TemporaryDirectory() as tmp, harness.served(Path(tmp), args) as places:
        sms, mobiles = SmsFile(Path(tmp) / "sms.jsonl"), Counter(100_000_000)
        print(
            f"{args.clients} clients, {args.seconds:.0f} s each in {args.rounds} rounds,"
            " gunicorn "
            f"{args.workers} {args.worker_class} workers x {args.threads} threads, "
            f"PostgreSQL {args.db}",
            f"via {args.server_database_url or 'direct'}, CONN_MAX_AGE {args.conn_max_age}"
            + (", Django's pool" if args.django_pool else ""),
        )
        started = time.perf_counter()
        pools = [[] for _ in range(args.clients)]
        run_clients(warm_up, args.clients, args, pools, mobiles, sms)
        signed = sum(len(p) for p in pools)
        print(f"signed in {signed} accounts in {time.perf_counter() - started:.1f} s")
        serial, inline = Counter(0), []
        baseline, ours = [], []
        part = argparse.Namespace(**{**vars(args), "seconds": args.seconds / args.rounds})
        harness.interleaved(
            args.rounds,
            lambda: baseline.extend(
                run_clients(harness.drive_baseline, args.clients, part, serial, places)
            ),
            lambda: ours.extend(
                run_clients(
                    drive_ours,
                    args.clients,
                    part,
                    pools,
                    mobiles,
                    sms,
                    serial,
                    places,
                    inline,
                )
            ),
        )
        if inline:
            print(f"{len(inline)} sign-ins during the run: raise --accounts-per-client")
    base_rate, _ = harness.report("baseline", baseline, args.seconds)
    rate, p95 = harness.report("ours", ours, args.seconds)
    print(
        f"RESULT registrations_per_s={rate:.1f} p95_ms={p95:.1f} "
        f"baseline_per_s={base_rate:.1f} ratio={rate / base_rate:.2f}"
    )


if __name__ == "__main__":
    main()
