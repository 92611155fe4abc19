"""The traffic of deploy/rehearse.sh: citizens and an official, through nginx.

Each citizen client signs in with a new mobile (the code read from the SMS
file), registers up to four people, and looks at its status pages; one staff
client reads the dashboard every second or two (a page that reads from the
replica). Every request is counted; an answer other than the expected one,
or no answer, is an error. At the end it writes a JSON report: the counts, the
errors by kind and second, and the names of everyone whose registration was
confirmed (the rehearsal then looks for each of them in the database).

    python deploy/rehearse_load.py --url https://127.0.0.1:7443 --ca cert.pem \\
        --sms-file var/sms.jsonl --places places.txt --seconds 180 --out load.json
"""

import argparse
import http.client
import itertools
import json
import re
import ssl
import threading
import time
import urllib.parse
from pathlib import Path

from stdnum import verhoeff


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests, self.errors = 0, []
        self.registered: list[str] = []
        self.started = time.monotonic()

    def count(self, what: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            if not ok:
                self.errors.append([round(time.monotonic() - self.started, 1), what, detail])


class Client:
    """One browser: its own TLS connection and cookies."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, tally: Tally) -> None:
        self.host, self.port, self.context, self.tally = host, port, context, tally
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPSConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}:{self.port}{path}"
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                self.host, self.port, context=self.context, timeout=30
            )
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (http.client.HTTPException, OSError) as error:
            self.conn.close()
            self.conn = None
            return 0, "", type(error).__name__
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, response.getheader("Location", ""), text

    def expect(self, what: str, method: str, path: str, ok: set[int], form: dict | None = None):
        status, location, text = self.request(method, path, form)
        self.tally.count(what, status in ok, f"{status} {text[:60]!r}" if status else text)
        return status, location, text


def sms_code(sms_file: Path, mobile: str, deadline: float) -> str | None:
    """The newest code sent to mobile (file backend: one JSON line a message)."""
    while time.monotonic() < deadline:
        if sms_file.exists():
            for line in reversed(sms_file.read_text(encoding="utf-8").splitlines()[-2000:]):
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("to") == mobile and (found := re.search(r"\d{6}", message["text"])):
                    return found.group()
        time.sleep(0.2)
    return None


def citizen(args, places, client: Client, serial, stop: threading.Event) -> None:
    while not stop.is_set():
        n = next(serial)
        mobile = f"8{n:09d}"
        client.cookies.clear()
        client.expect("sign-in page", "GET", "/sign-in/", {200})
        status, _, _ = client.expect("sign-in", "POST", "/sign-in/", {302}, {"mobile": mobile})
        code = sms_code(args.sms_file, "+91" + mobile, time.monotonic() + 20) if status else None
        if code is None:
            client.tally.count("code by SMS", False, mobile)
            continue
        client.expect("code", "POST", "/sign-in/code/", {302}, {"code": code})
        for seat in range(4):
            if stop.is_set():
                return
            name = f"Rehearsal Person {n}-{seat}"
            status, _, _ = client.expect(
                "register", "POST", "/my/add/", {302}, person(name, n * 4 + seat, places)
            )
            if status == 302:
                with client.tally.lock:
                    client.tally.registered.append(name)
            client.cookies.pop("messages", None)
            client.expect("status page", "GET", "/my/", {200})
            time.sleep(args.think)
        client.expect("public stats", "GET", "/stats/", {200})


def person(name: str, n: int, places: list[tuple[str, str, str]]) -> dict:
    body = f"4{n:010d}"
    district, area, locality = places[n % len(places)]
    return {
        "name": name,
        "gender": "F",
        "birth_year": "1975",
        "id_type": "AADHAAR",
        "id_number": body + verhoeff.calc_check_digit(body),
        "occupation": "5",
        "priority": "5",
        "district": district,
        "area": area,
        "locality": locality,
        "address_line": "House 1, Main road",
        "pincode": "492001",
    }


def official(args, client: Client, stop: threading.Event) -> None:
    client.request("GET", "/admin/login/")
    form = {"username": args.staff_user, "password": args.staff_password, "next": "/dashboard/"}
    status, _, _ = client.request("POST", "/admin/login/?next=/dashboard/", form)
    client.tally.count("staff sign-in", status == 302, str(status))
    while not stop.is_set():
        client.expect("dashboard", "GET", "/dashboard/", {200})
        time.sleep(1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True, help="the self-signed certificate")
    parser.add_argument("--sms-file", type=Path, required=True)
    parser.add_argument("--places", type=Path, required=True, help="district|area|locality lines")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.3, help="pause between a client's steps")
    parser.add_argument("--staff-user", default="rehearsal-state")
    parser.add_argument("--staff-password", required=True)
    parser.add_argument("--first-mobile", type=int, default=100_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    context = ssl.create_default_context(cafile=args.ca)
    places = [tuple(line.split("|")) for line in args.places.read_text().split()]
    tally, stop = Tally(), threading.Event()
    shared = itertools.count(args.first_mobile)  # next() on it is atomic
    threads = [
        threading.Thread(
            target=citizen,
            args=(args, places, Client(url.hostname, url.port, context, tally), shared, stop),
        )
        for _ in range(args.clients)
    ]
    threads.append(
        threading.Thread(
            target=official, args=(args, Client(url.hostname, url.port, context, tally), stop)
        )
    )
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    report = {
        "requests": tally.requests,
        "errors": len(tally.errors),
        "error_list": tally.errors,
        "registered": tally.registered,
    }
    args.out.write_text(json.dumps(report))
    print(f"load: {tally.requests} requests, {len(tally.errors)} errors, "
          f"{len(tally.registered)} registrations confirmed")  # fmt: skip


if __name__ == "__main__":
    main()
