"""The soak: real journeys against a running `scripts/cluster` while it is broken on purpose,
then an accounting that says whether anything was lost, duplicated or leaked.

    scripts/cluster                                   # one terminal (as root)
    .venv/bin/python -m bench.soak --duration 300     # another

Phases: set-up (an API key made on the settings page, a few documents sent so that links
exist); speed (wrk through HAProxy and straight to one app server: the link page against
/finance/health/); the load (simulated people on journeys, bench/soak_journeys.py) with the
faults of bench/soak_faults.py one after another; the drain (every queued email out); the
accounting, printed and written as JSON (var/cluster/soak-<time>.json). Exit 0 only when:
- no 5xx and no unanswered request outside a fault window;
- every outbox email of the run was delivered, and the SMTP sink received each exactly once
  (by Message-ID), including the one whose worker was killed mid-delivery;
- every fault was injected (a worker really caught mid-delivery, and so on), and the
  sentinel sessions and links worked after each;
- a brute-force burst spread over both app servers is cut at the sign-in limit;
- no token (links, session ids, the API key) appears in any process's log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

from bench.soak_accounting import account, print_accounting
from bench.soak_client import Browser, Recorder
from bench.soak_faults import Faults
from bench.soak_journeys import World, make_api_key, pick_journey, prime_links
from bench.soak_speed import measure_speed

REPO = Path(__file__).resolve().parent.parent
# The faults run one after another and take about 160 s; the load runs until they are all
# over and 20 s more, however short --duration is.
MIN_DURATION = 180
AFTER_FAULTS = 20


def run_load(world: World, recorder: Recorder, *, users: int, max_requests: int):
    """Start the simulated people; they go on until the returned event is set."""
    stop = threading.Event()

    def person() -> None:
        while not stop.is_set() and recorder.count() < max_requests:
            name, journey = pick_journey()
            browser = Browser(world.url, recorder, name)
            try:
                journey(world, browser)
            except Exception as error:  # a journey must not end the soak; record it
                recorder.add_problem(f"{name}: {type(error).__name__}: {error}")
            finally:
                browser.close()
            time.sleep(random.uniform(0.05, 0.3))  # people pause between things

    def harvester() -> None:
        while not stop.is_set():
            world.harvest()
            stop.wait(1.0)

    threads = [threading.Thread(target=person, daemon=True) for _ in range(users)]
    threads.append(threading.Thread(target=harvester, daemon=True))
    for thread in threads:
        thread.start()
    return stop, threads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=300, help="seconds of load (default 300)")
    parser.add_argument("--url", help="the cluster's URL (default: from its state file)")
    parser.add_argument("--state-dir", type=Path, default=REPO / "var" / "cluster")
    parser.add_argument("--users", type=int, default=6, help="simulated people at once")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--no-faults", action="store_true", help="load only (a baseline)")
    parser.add_argument("--speed-seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--json", type=Path, help="where to write the accounting")
    args = parser.parse_args()
    if args.duration < MIN_DURATION and not args.no_faults:
        parser.error(f"--duration must be at least {MIN_DURATION} s with faults")
    state = json.loads((args.state_dir / "state.json").read_text())
    os.environ.update(state["env"])  # the accounting reads the cluster's database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solabooks.settings")
    url = (args.url or state["url"]).rstrip("/")
    recorder = Recorder()
    world = World(url=url, sink_dir=Path(state["smtp_sink_dir"]), recorder=recorder)
    started = time.time()

    print("[soak] set-up: an API key, and invoices and quotes sent so that links exist")
    make_api_key(world)
    prime_links(world, invoices=4, quotes=6)
    deadline = time.time() + 90
    while len(world.invoice_links) < 3 and time.time() < deadline:
        world.harvest()
        time.sleep(0.5)
    if len(world.invoice_links) < 3:
        raise SystemExit("The sent invoices' emails did not reach the SMTP sink in 90 s.")

    print("[soak] speed: wrk through HAProxy and straight to app1")
    speed = measure_speed(state, world.invoice_links[0], seconds=args.speed_seconds)

    faults = Faults(args.state_dir, world, recorder)
    faults.open_sentinels()
    load_started = time.time()
    until = load_started + args.duration
    print(f"[soak] load: {args.users} people for {args.duration} s", flush=True)
    stop, threads = run_load(world, recorder, users=args.users, max_requests=args.max_requests)
    if not args.no_faults:
        time.sleep(min(15, args.duration / 10))
        for fault in faults.schedule():
            fault()
            time.sleep(5)
        until = max(until, time.time() + AFTER_FAULTS)
    while time.time() < until and recorder.count() < args.max_requests:
        time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    load_ended = time.time()

    result = account(
        state=state,
        recorder=recorder,
        world=world,
        faults=faults,
        since=started,
        load=(load_started, load_ended),
        speed=speed,
        no_faults=args.no_faults,
    )
    result["duration_s"] = args.duration
    print_accounting(result)
    out = args.json or args.state_dir / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"[soak] accounting written to {out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
