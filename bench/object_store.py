"""The local cluster's shared object store: moto's S3-compatible server on 127.0.0.1, with
one bucket, until SIGTERM or SIGINT (exit status 0). Both app servers point at it with
FILE_STORAGE=s3, S3_ENDPOINT_URL=http://127.0.0.1:PORT, S3_BUCKET=NAME (any
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: moto checks none). Everything lives in this
process's memory and is gone when it stops.

    .venv/bin/python -m bench.object_store --port 9000 --bucket solabooks

`--port 0` picks a free port; the ready line names the one in use:

    object store ready on http://127.0.0.1:PORT bucket NAME
"""

import argparse
import logging
import os
import signal
import threading

DEFAULT_BUCKET = "solabooks"
REGION = "us-east-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="0 for any free port")
    parser.add_argument("--bucket", default=DEFAULT_BUCKET)
    args = parser.parse_args()

    # boto3 signs every request; moto accepts any key, so make sure there is one.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "cluster")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "cluster")
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        client.create_bucket(Bucket=args.bucket)
        print(f"object store ready on {endpoint} bucket {args.bucket}", flush=True)
        while not stop.wait(timeout=1):  # a timeout keeps signals handled promptly
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
