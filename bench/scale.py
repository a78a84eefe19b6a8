"""Benchmark: costs as the store grows (0, 100k, 1M stored messages and webhook attempts).

For each size N it makes a SQLite database the way a server does (``switchboard serve`` runs
its migrations and creates the main account; subaccounts and numbers are created through the
REST API), fills it with N messages and N webhook attempts in bulk (the store's own
``insert_message``/``insert_attempt`` statements over rows made by ``storage/records.py`` from
real records: several accounts and numbers, every direction and status, dates spread over 90
days), starts ``switchboard serve`` on it and prints:

* server time of the lists: ``Messages.json`` first page (PageSize=50), filtered by a busy
  ``To`` (one of our numbers) and a rare one (a handset), the next page through
  ``next_page_uri``; the assertion API (``/_sim/messages``, ``/_sim/webhooks``); the
  dashboard's JSON (messages, attempts, a number search, stats, overview). Each figure is the
  median (and p90) wall time of sequential requests on loopback, keep-alive: the server's time
  plus a loopback round trip (~0.3 ms, the N=0 figures show it);
* the dashboard's first paint in Chromium (``/usr/bin/chromium``, or ``SWITCHBOARD_CHROMIUM``):
  from navigation to the first list rows drawn, and to the charts drawn, for both lists;
* inbound throughput (bench/inbound.py's injector and receiver) against the first size's, last:
  a server for each size side by side, each warmed up, then ``--rounds`` rounds of
  ``--inbound`` messages taking turns between them; the medians;
* memory (at one N, the largest unless ``--flood-rows``): a number whose receiver is down
  (``--down hang``: a port that never answers, so the webhooks wait in the store; ``closed``:
  a closed port, each fails at once), ``--flood`` inbound messages injected (concurrent POSTs
  to ``/_sim/inbound``) while the server's RSS (/proc, its whole process tree) is sampled; the
  peak, and the most jobs seen waiting.

    python bench/scale.py                               # N = 0, 100000, 1000000
    python bench/scale.py --rows 0,100000 --flood 20000
    python bench/scale.py --src ../main/src             # the server from another tree
    python bench/scale.py --sids random                 # a store an older server wrote

The seeded rows' SIDs begin with their time, as the server's do (domain/sids.py); ``--sids
random`` seeds the random SIDs of servers before 2026-12-05, whose inserts landed on a random
page of each index on them. Seeded databases are kept in ``--cache`` (one per N and kind of
SID, copied for each run, so a run never sees another's leftovers, and flushed to disk before
the server opens the copy); ``--src`` trees that add migrations apply them when they open it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from inbound import HERE, add_number, collect, inject, percentile, start, wait_http

from switchboard.domain.models import Direction, Message, MessageStatus, WebhookAttempt
from switchboard.domain.sids import SidPrefix, make_sid
from switchboard.storage import records
from switchboard.storage.sqlite import Q
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

API = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
AUTH = (TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
SUBACCOUNTS = 3
NUMBERS_PER_ACCOUNT = (8, 2, 2, 2)  # the main account's, then each subaccount's
HANDSETS = 20_000  # distinct handsets: ~50 messages each at 1M
SPAN = timedelta(days=90)
CHUNK = 20_000
WARM_UP = 1000  # inbound messages before the rate is measured
PAINT_RUNS = 3
FLOOD_NUMBER = "+15555550199"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str


def serve(database: Path, src: str | None, *, quiet: bool = False) -> Server:
    port = free_port()
    env = {**os.environ, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
           "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN}  # fmt: skip
    if src:
        env["PYTHONPATH"] = str(Path(src).resolve())
    command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port),
               "--database", str(database), *(["--quiet"] if quiet else [])]  # fmt: skip
    server = Server(start(command, env), f"http://127.0.0.1:{port}")
    wait_http(f"{server.base}/healthz", timeout=600)  # a new migration may index 1M rows
    return server


def stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(30)


# Seeding ------------------------------------------------------------------------------------


def prepare(database: Path, src: str | None) -> None:
    """The schema, the main account, subaccounts and numbers, as a server makes them."""
    server = serve(database, src)
    try:
        with httpx.Client(base_url=server.base, auth=AUTH, timeout=30) as http:
            owners = [TEST_ACCOUNT_SID]
            for index in range(SUBACCOUNTS):
                made = http.post("/2010-04-01/Accounts.json", data={"FriendlyName": f"sub {index}"})
                made.raise_for_status()
                owners.append(made.json()["sid"])
            for owner, count in zip(owners, NUMBERS_PER_ACCOUNT, strict=True):
                token = TEST_AUTH_TOKEN
                if owner != TEST_ACCOUNT_SID:
                    token = http.get(f"/2010-04-01/Accounts/{owner}.json").json()["auth_token"]
                for _ in range(count):
                    number = f"+1555{random.randrange(10**7):07d}"
                    wiring = {"PhoneNumber": number, "SmsUrl": "https://app.example.com/sms",
                              "StatusCallback": "https://app.example.com/status"}  # fmt: skip
                    path = f"/2010-04-01/Accounts/{owner}/IncomingPhoneNumbers.json"
                    made = http.post(path, data=wiring, auth=(owner, token))
                    made.raise_for_status()
    finally:
        stop(server)


def _sid(prefix: SidPrefix, rng: random.Random, at: datetime, sids: str) -> str:
    """A SID made at ``at`` as the server makes one (``time``: time-ordered, domain/sids.py),
    or as servers before 2026-12-05 did (``random``)."""
    return make_sid(prefix, rng.randbytes, int(at.timestamp() * 1000) if sids == "time" else None)


def _rows(
    n: int, numbers: list[tuple[str, str]], sids: str, seed: int = 18
) -> Iterator[tuple[Any, Any]]:
    """(message params, attempt params) for N messages, oldest first, one attempt each."""
    rng = random.Random(seed)
    handsets = [f"+1415{rng.randrange(10**7):07d}" for _ in range(HANDSETS)]
    main = [pair for pair in numbers if pair[0] == TEST_ACCOUNT_SID]
    others = [pair for pair in numbers if pair[0] != TEST_ACCOUNT_SID]
    started = datetime.now(UTC) - SPAN
    step = SPAN / max(n, 1)
    last_inbound: dict[tuple[str, str], str] = {}
    for index in range(n):
        account, ours = rng.choice(main if rng.random() < 0.7 else others)
        theirs = rng.choice(handsets)
        at = started + step * index
        roll = rng.random()
        common = {"num_segments": 1, "num_media": 0, "date_created": at,
                  "body": f"Message {index}: " + "lorem ipsum " * rng.randrange(1, 10)}  # fmt: skip
        if roll < 0.45:
            sid = _sid(SidPrefix.MESSAGE, rng, at, sids)
            message = Message(sid, account, Direction.INBOUND, theirs, ours,
                              status=MessageStatus.RECEIVED, date_updated=at, date_sent=at,
                              **common)  # fmt: skip
            last_inbound[(ours, theirs)] = sid
            kind, url = "incoming", "https://app.example.com/sms"
        else:
            reply = roll >= 0.85 and (ours, theirs) in last_inbound
            status, code = rng.choices(
                [(MessageStatus.DELIVERED, None), (MessageStatus.SENT, None),
                 (MessageStatus.UNDELIVERED, 30003), (MessageStatus.FAILED, 30008)],
                [85, 5, 5, 5],
            )[0]  # fmt: skip
            sent = at + timedelta(seconds=2)
            message = Message(_sid(SidPrefix.MESSAGE, rng, at, sids), account,
                              Direction.OUTBOUND_REPLY if reply else Direction.OUTBOUND_API,
                              ours, theirs, status=status, error_code=code,
                              error_message=None if code is None else "Unreachable",
                              price="-0.00790", date_updated=sent, date_sent=sent,
                              status_callback="https://app.example.com/status",
                              in_reply_to=last_inbound.get((ours, theirs)) if reply else None,
                              **common)  # fmt: skip
            kind, url = "status_callback", "https://app.example.com/status"
        outcome = rng.random()
        response, error = (200, None) if outcome < 0.9 else (500, 11200)
        if outcome >= 0.95:
            response, error = None, 11205
        form = {"MessageSid": message.sid, "AccountSid": account, "From": message.from_,
                "To": message.to, "Body": message.body, "SmsStatus": message.status}  # fmt: skip
        body = urlencode(form)
        attempt = WebhookAttempt(
            _sid(SidPrefix.NOTIFICATION, rng, at, sids), account, message.sid, kind, 1, url, "POST",
            {"Content-Type": "application/x-www-form-urlencoded",
             "X-Twilio-Signature": "Q2Fu8z0b0mQ1yTQ6rvxX8BW7c0I=",
             "I-Twilio-Idempotency-Token": f"{rng.getrandbits(64):016x}"},
            body, at + timedelta(milliseconds=50), duration_ms=rng.lognormvariate(2.5, 0.8),
            response_status=response, response_headers={"content-type": "text/xml"},
            response_body="<Response/>" if response == 200 else "",
            error_code=error, error_detail="" if error is None else "HTTP 500 / connection refused",
            idempotency_token=f"{rng.getrandbits(64):016x}", signed_url=url,
        )  # fmt: skip
        yield records.message_params(message), records.attempt_params(attempt)


def seed(database: Path, n: int, sids: str) -> float:
    """Bulk-insert N messages and N attempts through the store's own statements."""
    started = time.perf_counter()
    db = sqlite3.connect(database)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    numbers = db.execute("SELECT account_sid, phone_number FROM phone_numbers").fetchall()
    rows = _rows(n, numbers, sids)
    while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
        with db:
            db.executemany(Q["insert_message"], [message for message, _ in chunk])
            db.executemany(Q["insert_attempt"], [attempt for _, attempt in chunk])
    db.close()
    return time.perf_counter() - started


def database_for(n: int, workdir: Path, args: argparse.Namespace) -> Path:
    cache = Path(args.cache)
    template = cache / f"scale-{args.sids}-sids-{n}.db"
    if not template.exists():
        cache.mkdir(parents=True, exist_ok=True)
        building = cache / f"scale-{args.sids}-sids-{n}.building.db"
        for leftover in cache.glob(f"scale-{args.sids}-sids-{n}.building.db*"):
            leftover.unlink()
        prepare(building, args.src)
        took = seed(building, n, args.sids)
        print(f"  seeded {n:,} messages and attempts in {took:.0f} s -> {template}", flush=True)
        building.rename(template)
    copy = workdir / f"scale-{n}.db"
    shutil.copyfile(template, copy)
    # On disk before the server opens it: otherwise the kernel writes the copy back (a GB at
    # 1M) while the server runs, and the server's fsyncs wait behind it.
    with copy.open("rb+") as written:
        os.fsync(written.fileno())
    return copy


# Measuring ----------------------------------------------------------------------------------


def timed(http: httpx.Client, url: str, budget: float = 8.0, most: int = 100) -> str:
    """Median and p90 wall ms of sequential GETs (at least 5, at most ``most``)."""
    for _ in range(3):
        http.get(url).raise_for_status()
    times: list[float] = []
    deadline = time.monotonic() + budget
    while len(times) < most and (len(times) < 5 or time.monotonic() < deadline):
        at = time.perf_counter()
        http.get(url).raise_for_status()
        times.append((time.perf_counter() - at) * 1000)
    return f"{statistics.median(times):8.1f} {percentile(times, 0.9):8.1f}"


def lists(base: str, db: Path) -> None:
    read = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    busy = read.execute(
        "SELECT phone_number FROM phone_numbers WHERE account_sid = ? ORDER BY seq LIMIT 1",
        (TEST_ACCOUNT_SID,),
    ).fetchone()[0]
    found = read.execute(
        "SELECT to_addr FROM messages WHERE account_sid = ? AND direction <> 'inbound' "
        "ORDER BY seq DESC LIMIT 1",
        (TEST_ACCOUNT_SID,),
    ).fetchone()
    rare = found[0] if found else "+14155550000"
    read.close()
    with httpx.Client(base_url=base, auth=AUTH, timeout=120) as http:
        first = http.get(f"{API}/Messages.json", params={"PageSize": 50}).json()
        after = first["next_page_uri"]
        cases = [
            ("Messages.json PageSize=50", f"{API}/Messages.json?PageSize=50"),
            ("  To=our number (busy)", f"{API}/Messages.json?PageSize=50&To={busy}"),
            ("  To=a handset (rare)", f"{API}/Messages.json?PageSize=50&To={rare}"),
            ("  next_page_uri", after or f"{API}/Messages.json?PageSize=50"),
            ("/_sim/messages Limit=50", "/_sim/messages?Limit=50"),
            ("  To=a handset", f"/_sim/messages?Limit=50&To={rare}"),
            ("/_sim/webhooks Limit=50", "/_sim/webhooks?Limit=50"),
            ("dashboard messages", "/_dashboard/api/messages?limit=50"),
            ("dashboard attempts", "/_dashboard/api/attempts?limit=50"),
            ("  number=a handset", f"/_dashboard/api/attempts?limit=50&number={rare}"),
            ("dashboard stats", "/_dashboard/api/stats"),
            ("dashboard overview", "/_dashboard/api/overview"),
        ]
        print(f"  {'request':34} {'median':>8} {'p90':>8}  ms")
        for name, url in cases:
            print(f"  {name:34} {timed(http, url.replace('+', '%2B'))}", flush=True)


def first_paint(base: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  first paint: playwright is not installed")
        return
    executable = os.environ.get("SWITCHBOARD_CHROMIUM") or "/usr/bin/chromium"
    if not os.access(executable, os.X_OK):
        print(f"  first paint: no Chromium at {executable}")
        return
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            for view, rows in (("attempts", "#attempts"), ("messages", "#message-rows")):
                listed: list[float] = []
                charted: list[float] = []
                for _ in range(PAINT_RUNS):
                    page = browser.new_page(viewport={"width": 1440, "height": 900})
                    page.set_default_timeout(60_000)
                    at = time.perf_counter()
                    page.goto(f"{base}/?view={view}", wait_until="commit")
                    page.wait_for_selector(f"{rows} tr")  # rows, or "none yet"
                    listed.append((time.perf_counter() - at) * 1000)
                    page.wait_for_selector("#charts svg")
                    charted.append((time.perf_counter() - at) * 1000)
                    page.close()
                print(f"  first paint ?view={view:9} list rows {statistics.median(listed):7.0f} ms"
                      f"   charts {statistics.median(charted):7.0f} ms", flush=True)  # fmt: skip
        finally:
            browser.close()


class Inbound:
    """A receiver and a number wired to it on one server, warmed up with WARM_UP messages;
    each round injects ``count`` and returns the rate at which their webhooks arrived."""

    def __init__(self, base: str, workdir: Path, count: int) -> None:
        self.base, self.count = base, count
        port = free_port()
        self.received_file = workdir / f"received-{port}.txt"
        self.receiver = start([sys.executable, str(HERE / "receiver.py"), str(port),
                               str(self.received_file)])  # fmt: skip
        url = f"http://127.0.0.1:{port}/sms"
        try:
            wait_http(url)
            add_number(base, url)
            collect(self.receiver, self.received_file, asyncio.run(inject(base, WARM_UP, None, 64)))
        except BaseException:  # not yet among the caller's injectors, so nobody else closes it
            self.close()
            raise

    def round(self) -> float:
        started = time.time()
        sent = asyncio.run(inject(self.base, self.count, None, 64))
        received = collect(self.receiver, self.received_file, sent)
        arrived = [received[sid] for sid in sent if sid in received]
        rate = len(arrived) / (max(arrived) - started)
        print(f"  inbound: {len(arrived):,}/{self.count:,} webhooks in {max(arrived) - started:.1f}"
              f" s -> {rate:,.0f}/s", flush=True)  # fmt: skip
        return rate

    def close(self) -> None:
        self.receiver.terminate()
        self.receiver.wait(10)


def throughput(sizes: list[int], args: argparse.Namespace) -> None:
    """Inbound rates at every size, measured in alternating rounds on servers running side by
    side (each on a fresh copy), so that the VM's drift from minute to minute falls on every
    size alike; one run of 10,000 after another moved by a quarter on these VMs."""
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-scale-"))
    servers: list[Server] = []
    rates: dict[int, list[float]] = {n: [] for n in sizes}
    injectors: dict[int, Inbound] = {}
    try:
        for n in sizes:
            servers.append(serve(database_for(n, workdir, args),
                                 args.src, quiet=True))  # fmt: skip
            injectors[n] = Inbound(servers[-1].base, workdir, args.inbound)
        for round_ in range(args.rounds):
            for n in sizes if round_ % 2 == 0 else reversed(sizes):
                print(f"N = {n:,}, round {round_ + 1}", end="", flush=True)
                rates[n].append(injectors[n].round())
    finally:
        for injector in injectors.values():
            injector.close()
        for server in servers:
            stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
    first = statistics.median(rates[sizes[0]])
    for n in sizes:
        rate = statistics.median(rates[n])
        print(
            f"inbound at N = {n:,}: median {rate:,.0f}/s ({rate / first:.0%} of N = "
            f"{sizes[0]:,}); rounds {', '.join(f'{r:,.0f}' for r in rates[n])}"
        )


def rss_kib(pid: int) -> int:
    """The resident memory of a process and its descendants."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_kib(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def flood(server: Server, db: Path, count: int, down: str) -> None:
    """``count`` inbound messages to a number whose receiver is down: a closed port (each
    webhook fails at once), or ``hang``: a port that listens but never accepts (each webhook
    waits for its connect timeout, so the jobs pile up in the store)."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    if down == "hang":
        hole.listen(0)  # the backlog fills at once; later connects wait for their timeout
    url = f"http://127.0.0.1:{hole.getsockname()[1]}/sms"
    if down == "closed":
        hole.close()
    with httpx.Client(base_url=server.base, auth=AUTH, timeout=30) as http:
        made = http.post(f"{API}/IncomingPhoneNumbers.json",
                         data={"PhoneNumber": FLOOD_NUMBER, "SmsUrl": url,
                               "SmsFallbackUrl": url})  # fmt: skip
        made.raise_for_status()
    peak = {"rss": rss_kib(server.process.pid), "jobs": 0}
    idle_rss = peak["rss"]
    done = threading.Event()

    def sample() -> None:
        read = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        ticks = 0
        while not done.is_set():
            peak["rss"] = max(peak["rss"], rss_kib(server.process.pid))
            ticks += 1
            if ticks % 5 == 0:
                waiting = read.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
                peak["jobs"] = max(peak["jobs"], waiting)
            time.sleep(0.1)
        read.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    sent = asyncio.run(inject(server.base, count, None, 64, FLOOD_NUMBER))
    injected = time.monotonic() - started
    read = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    # A closed port: until every job is done. A hanging one: 30 s more with the jobs waiting.
    deadline = time.monotonic() + (1800 if down == "closed" else 30)
    while read.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.5)
    left = read.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    read.close()
    hole.close()
    drained = time.monotonic() - started
    done.set()
    sampler.join()
    print(f"  flood ({down}): {len(sent):,} inbound, injected in {injected:.0f} s; after "
          f"{drained:.0f} s {left:,} jobs left; most jobs waiting {peak['jobs']:,}; "
          f"RSS {idle_rss / 1024:.0f} MB before, peak {peak['rss'] / 1024:.0f} MB",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="0,100000,1000000", help="comma-separated sizes N")
    parser.add_argument("--inbound", type=int, default=3000, help="messages for the rate")
    parser.add_argument("--rounds", type=int, default=4, help="rate rounds at each size (median)")
    parser.add_argument("--flood", type=int, default=100_000, help="0: no memory test")
    parser.add_argument("--flood-rows", type=int, help="the N to flood at (default: the largest)")
    parser.add_argument(
        "--down",
        choices=["hang", "closed"],
        default="hang",
        help="the flood's receiver: a port that never answers, or a closed one",
    )
    parser.add_argument(
        "--sids",
        choices=["time", "random"],
        default="time",
        help="the seeded rows' SIDs: time-ordered, as the server makes them, or random, as "
        "servers before 2026-12-05 made them",
    )
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--src", help="run the server from this source tree (default: installed)")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "switchboard-scale"))
    args = parser.parse_args()
    sizes = [int(size) for size in args.rows.split(",")]
    print(f"machine: {os.cpu_count()} cores; server from {args.src or 'the installed package'}")
    flood_at = max(sizes) if args.flood_rows is None else args.flood_rows
    for n in sizes:
        workdir = Path(tempfile.mkdtemp(prefix="switchboard-scale-"))
        print(f"N = {n:,}", flush=True)
        try:
            db = database_for(n, workdir, args)
            opening = time.perf_counter()
            server = serve(db, args.src)
            print(f"  server ready in {time.perf_counter() - opening:.1f} s")
            try:
                lists(server.base, db)
                if not args.no_browser:
                    first_paint(server.base)
                if args.flood and n == flood_at:
                    flood(server, db, args.flood, args.down)
            finally:
                stop(server)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.inbound:
        throughput(sizes, args)


if __name__ == "__main__":
    main()
