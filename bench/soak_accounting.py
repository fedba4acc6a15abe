"""The soak's accounting: what was answered, what was sent, what survived, what leaked."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.soak_client import Browser, Recorder
from bench.soak_faults import Faults
from bench.soak_journeys import DEMO_PASSWORD, World

DRAIN_TIMEOUT = 300  # lease (60 s) + the retry backoff after the sink's outage, with room
BRUTE_FORCE_ACCOUNT = "manager@demo.test"  # not used by any journey
PAIR_LIMIT = 5  # core/signin.py: wrong passwords per (account, client) per 15 minutes
TOKEN_PATH = re.compile(r"/(?:i|q|p|t|setup|reset|unlock)/[A-Za-z0-9_\-]{16,}")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def requests_summary(recorder: Recorder, faults: Faults, load: tuple[float, float]) -> dict:
    by_status: Counter = Counter()
    by_journey: dict[str, list] = defaultdict(list)
    outside = []
    inside: Counter = Counter()
    refused: Counter = Counter()  # 4xx answers by step, for reading (not a failure in itself)
    for sample in recorder.samples:
        by_status[str(sample.status)] += 1
        if load[0] <= sample.at <= load[1]:
            by_journey[sample.journey].append(sample)
        if 400 <= sample.status < 500 and sample.journey != "brute force":
            refused[f"{sample.journey} / {sample.step}: {sample.status}"] += 1
        if sample.status == 0 or sample.status >= 500:
            ended = sample.at + sample.seconds
            window = next((w for w in faults.windows if w.covers(sample.at, ended)), None)
            if window is None:
                outside.append(
                    f"{time.strftime('%H:%M:%S', time.localtime(sample.at))} {sample.journey}"
                    f" / {sample.step}: {sample.status} {sample.error}".strip()
                )
            else:
                inside[window.name] += 1
    seconds = max(load[1] - load[0], 1e-9)
    journeys = {
        name: {
            "requests": len(samples),
            "requests_per_second": round(len(samples) / seconds, 2),
            "p50_ms": round(1000 * percentile([s.seconds for s in samples], 0.50), 1),
            "p99_ms": round(1000 * percentile([s.seconds for s in samples], 0.99), 1),
            "servers": dict(Counter(s.server for s in samples if s.server)),
        }
        for name, samples in sorted(by_journey.items())
    }
    total = sum(len(s) for s in by_journey.values())
    return {
        "by_status": dict(sorted(by_status.items())),
        "load_requests_per_second": round(total / seconds, 2),
        "journeys": journeys,
        "errors_inside_fault_windows": dict(inside),
        "errors_outside_fault_windows": outside[:50],
        "errors_outside_count": len(outside),
        "refused_by_step": dict(refused.most_common()),
    }


def emails_summary(state: dict, since: float, held: list[str]) -> dict:
    import django

    django.setup()
    from django.db.models import Q

    from solabooks.mail.models import OutboxMessage, OutboxState

    since_moment = _aware(since)
    run_rows = OutboxMessage.objects.filter(created_at__gte=since_moment)
    deadline = time.time() + DRAIN_TIMEOUT
    while run_rows.filter(state__in=[OutboxState.QUEUED, OutboxState.SENDING]).exists():
        if time.time() > deadline:
            break
        time.sleep(2)
    rows = list(run_rows.values_list("message_id", "state", "attempts"))
    sink = read_sink(Path(state["smtp_sink_dir"]))
    received = Counter(line["message_id"] for line in sink)
    known = set(
        OutboxMessage.objects.filter(Q(message_id__in=list(received))).values_list(
            "message_id", flat=True
        )
    )
    states = Counter(state for _, state, _ in rows)
    missing = [mid for mid, _, _ in rows if received[mid] == 0]
    twice = {mid: received[mid] for mid, _, _ in rows if received[mid] > 1}
    unknown = [mid for mid in received if mid not in known]
    attempts = {mid: n for mid, _, n in rows}
    held_report = {mid: {"received": received[mid], "attempts": attempts.get(mid)} for mid in held}
    ok = (
        not missing
        and not twice
        and not unknown
        and set(states) <= {OutboxState.SENT}
        and all(v["received"] == 1 for v in held_report.values())
    )
    return {
        "queued": len(rows),
        "delivered": sum(1 for mid, _, _ in rows if received[mid] >= 1),
        "outbox_states": dict(states),
        "retried": sum(1 for _, _, n in rows if n > 1),
        "missing": missing[:20],
        "delivered_twice": twice,
        "received_but_not_in_outbox": unknown[:20],
        "killed_mid_delivery": held_report,
        "ok": ok,
    }


def read_sink(directory: Path) -> list[dict]:
    path = directory / "received.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _aware(moment: float):
    import datetime

    return datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)


def brute_force(url: str, recorder: Recorder) -> dict:
    """Wrong passwords from one client, alternating over both app servers: cut at the
    per-(account, client) limit; the right password from elsewhere still signs in."""
    attacker = Browser(url, recorder, "brute force")
    statuses = []
    for _ in range(PAIR_LIMIT + 6):
        page = attacker.get("/finance/login/", step="login form")
        answer = attacker.submit(
            page, step="wrong password", email=BRUTE_FORCE_ACCOUNT, password="not-" + DEMO_PASSWORD
        )
        statuses.append(answer.status)
    servers = {s for s in attacker.servers if s}
    page = attacker.get("/finance/login/", step="login form")
    right_here = attacker.submit(
        page, step="right password", email=BRUTE_FORCE_ACCOUNT, password=DEMO_PASSWORD
    ).status
    elsewhere = Browser(url, recorder, "brute force")
    page = elsewhere.get("/finance/login/", step="login form")
    right_elsewhere = elsewhere.submit(
        page, step="right password", email=BRUTE_FORCE_ACCOUNT, password=DEMO_PASSWORD
    ).status
    expected = [200] * PAIR_LIMIT + [429] * 6
    return {
        "wrong_password_statuses": statuses,
        "servers_answering": sorted(servers),
        "right_password_same_client": right_here,
        "right_password_other_client": right_elsewhere,
        "ok": statuses == expected
        and len(servers) >= 2
        and right_here == 429
        and right_elsewhere == 302,
    }


def logs_summary(logs: Path, secrets: set[str]) -> dict:
    hits: dict[str, int] = {}
    token_paths = 0
    for path in sorted(logs.glob("*.log")):
        text = path.read_text(errors="replace")
        found = sum(1 for secret in secrets if secret in text)
        token_paths += len(TOKEN_PATH.findall(text))
        if found:
            hits[path.name] = found
    return {
        "files": sorted(p.name for p in logs.glob("*.log")),
        "secrets_checked": len(secrets),
        "files_with_a_secret": hits,
        "unredacted_token_paths": token_paths,
        "ok": not hits and token_paths == 0,
    }


def account(
    *, state, recorder, world: World, faults: Faults, since, load, speed, no_faults: bool
) -> dict:
    brute = brute_force(world.url, recorder)
    emails = emails_summary(state, since, faults.held_message_ids)
    requests = requests_summary(recorder, faults, load)
    windows = faults.summary()
    sentinels_ok = all(all(w["sentinels_after"].values()) for w in windows)
    expected_faults = 0 if no_faults else len(faults.schedule())
    logs = logs_summary(Path(state["logs"]), recorder.secrets)
    checks = {
        "no_5xx_outside_fault_windows": requests["errors_outside_count"] == 0,
        "emails_queued_equal_delivered_none_twice": emails["ok"],
        "every_fault_injected": len(windows) == expected_faults
        and all(w["injected"] for w in windows),
        "sessions_and_links_survive_faults": sentinels_ok,
        "throttle_shared_by_app_servers": brute["ok"],
        "no_token_in_any_log": logs["ok"],
        "no_wrong_answers": not recorder.problems,
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "requests": requests,
        "fault_windows": windows,
        "emails": emails,
        "brute_force": brute,
        "logs": logs,
        "problems": recorder.problems[:50],
        "speed": speed,
    }


def print_accounting(result: dict) -> None:
    print("\n==> Soak accounting")
    for name, ok in result["checks"].items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    print(f"  requests by status: {result['requests']['by_status']}")
    for name, figures in result["requests"]["journeys"].items():
        print(
            f"  {name:24} {figures['requests']:6} requests  {figures['requests_per_second']:7}"
            f" req/s  p50 {figures['p50_ms']:7} ms  p99 {figures['p99_ms']:7} ms"
        )
    emails = result["emails"]
    print(
        f"  emails: queued {emails['queued']}, delivered {emails['delivered']}, "
        f"twice {len(emails['delivered_twice'])}, retried {emails['retried']}"
    )
    speed = result["speed"]
    print(
        f"  link/health through HAProxy {speed['link_to_health_through_haproxy']}, "
        f"one app server {speed['link_to_health_one_app_server']}, "
        f"load balancer cost {speed['load_balancer_cost']:.1%}"
    )
    print("  OK" if result["ok"] else "  FAILED")
