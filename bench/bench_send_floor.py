"""The real send endpoint next to its floor (bench/floor.py): the least any design of send
could cost on this machine, measured in the same run against the same bare endpoint.

.venv/bin/python bench/bench_send_floor.py [bench_api.py's options]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python bench/bench_send_floor.py

Everything else is bench_api.py's: the seed, gunicorn, the db_worker delivering the real
sends' emails during the run, and the check afterwards that every queued email was sent.
Both rows are held to the send target (0.25), so the exit status says whether even the
floor reaches it.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_api
from bench.harness import Endpoint

FLOOR = Endpoint(
    "send floor",
    "/bench/floor/send/{send_id}",
    headers=("auth",),
    method="POST",
    body=bench_api.SEND_BODY,
    status=202,
)

if __name__ == "__main__":
    bench_api.main(
        title="Send and its floor",
        endpoints=[bench_api.ENDPOINTS[1], FLOOR],
        targets=(("send document", bench_api.SEND_TARGET), ("send floor", bench_api.SEND_TARGET)),
        settings_module="bench.floor_settings",
    )
