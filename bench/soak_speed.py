"""The load balancer's cost, measured in the soak's own run: the link page against the bare
/finance/health/ endpoint, through HAProxy and straight to one app server, each pair in the
same round. The ratio through HAProxy should be at least 85% of the direct one."""

from __future__ import annotations

from statistics import median
from urllib.parse import urlsplit

from bench.harness import HEALTH_PATH, run_wrk

ROUNDS = 2
LB_COST_LIMIT = 0.15


def measure_speed(state: dict, link: str, *, seconds: int) -> dict:
    link_path = urlsplit(link).path
    lb = state["url"]
    direct = f"http://127.0.0.1:{state['services']['app1']['port']}"
    runs: dict[str, list[dict]] = {"lb_health": [], "lb_link": [], "app_health": [], "app_link": []}
    for _ in range(ROUNDS):
        for name, url in (
            ("lb_health", lb + HEALTH_PATH),
            ("lb_link", lb + link_path),
            ("app_health", direct + HEALTH_PATH),
            ("app_link", direct + link_path),
        ):
            runs[name].append(run_wrk(url, duration=seconds, threads=2, connections=16))
    rate = {
        name: median(r["requests_per_second"] or 0 for r in results)
        for name, results in runs.items()
    }
    lb_ratio = rate["lb_link"] / rate["lb_health"] if rate["lb_health"] else 0.0
    app_ratio = rate["app_link"] / rate["app_health"] if rate["app_health"] else 0.0
    cost = 1 - lb_ratio / app_ratio if app_ratio else 1.0
    errors = sum(r["errors"] for results in runs.values() for r in results)
    return {
        "requests_per_second": {k: round(v, 1) for k, v in rate.items()},
        "p99_ms": {k: median(r["p99_ms"] or 0 for r in v) for k, v in runs.items()},
        "link_to_health_through_haproxy": round(lb_ratio, 3),
        "link_to_health_one_app_server": round(app_ratio, 3),
        "load_balancer_cost": round(cost, 3),
        "errors": errors,
        "ok": cost <= LB_COST_LIMIT and errors == 0,
    }
