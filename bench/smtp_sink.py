"""A real SMTP server that keeps what it accepts on disk, for soaks and fault injection.

    python -m bench.smtp_sink --port PORT --dir DIR     (--port 0: a free port)

Listens on 127.0.0.1 (aiosmtpd) and prints `smtp sink ready on 127.0.0.1:PORT` once it
does. Every message it accepts is written to DIR/messages/<seq>.eml (atomically: a
temporary file, then a rename) and appended to DIR/received.jsonl as one line
{"seq", "message_id", "to", "subject", "received_at"}, flushed and fsynced, before the
sink answers 250. Like a real mail server (RFC 5321: the server takes responsibility for
a message when it answers 250 to the final dot), it keeps nothing whose client is gone by
then: such a message is only logged, in DIR/dropped.jsonl.

Fault injection: while the file DIR/hold exists (its content: seconds, e.g. "8"), each
message, once fully received, is held that long before the answer; DIR/holding.json says
{"peer": [host, port], "message_id", "since"} meanwhile (the peer is the client's address,
to find its process with `ss -Htnp`; with several held, the latest). A client that dies
during the hold ends it: its message is dropped. SIGTERM or SIGINT stops the sink.
"""

import argparse
import asyncio
import json
import os
import signal
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.smtp import SMTP

READY_LINE = "smtp sink ready on {host}:{port}"
HOST = "127.0.0.1"


def read_received(directory: str | os.PathLike) -> list[dict]:
    """The messages the sink kept, in order (complete lines only: a reader may race a write)."""
    return _read_jsonl(Path(directory) / "received.jsonl")


def read_dropped(directory: str | os.PathLike) -> list[dict]:
    """The messages the sink dropped because their client was gone before the answer."""
    return _read_jsonl(Path(directory) / "dropped.jsonl")


def _read_jsonl(path: Path) -> list[dict]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _append_line(path: Path, record: dict) -> None:
    with path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


class Sink:
    """The aiosmtpd handler: every method runs on the one event loop, so no locks."""

    def __init__(self, directory: Path):
        self.directory = directory
        (directory / "messages").mkdir(parents=True, exist_ok=True)
        self.seq = len(read_received(directory))  # a restarted sink carries on numbering

    def _hold_seconds(self) -> float:
        try:
            return float((self.directory / "hold").read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        headers = BytesHeaderParser(policy=default_policy).parsebytes(envelope.original_content)
        summary = {
            "message_id": str(headers.get("Message-ID", "")),
            "to": list(envelope.rcpt_tos),
            "subject": str(headers.get("Subject", "")),
        }
        hold = self._hold_seconds()
        if hold > 0:
            await self._hold(hold, list(session.peer), summary)
        if server.transport is None or server.transport.is_closing():
            self._drop(summary, "client gone before the answer")
            return "421 Client gone; message not accepted"
        self.seq += 1
        _write_atomically(
            self.directory / "messages" / f"{self.seq}.eml", envelope.original_content
        )
        _append_line(
            self.directory / "received.jsonl", {"seq": self.seq, **summary, "received_at": _now()}
        )
        return "250 Message accepted for delivery"

    async def _hold(self, seconds: float, peer: list, summary: dict) -> None:
        holding = self.directory / "holding.json"
        record = json.dumps({"peer": peer, **summary, "since": _now()})
        _write_atomically(holding, record.encode())  # several held: it names the latest
        try:
            # aiosmtpd cancels this when the client's connection ends: then it is dropped.
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self._drop(summary, "client gone during the hold (or the sink stopped)")
            raise
        finally:
            try:
                if holding.read_text() == record:  # not a later hold's
                    holding.unlink()
            except FileNotFoundError:
                pass

    def _drop(self, summary: dict, reason: str) -> None:
        _append_line(
            self.directory / "dropped.jsonl", {**summary, "reason": reason, "dropped_at": _now()}
        )


async def serve(port: int, directory: Path) -> None:
    loop = asyncio.get_running_loop()
    sink = Sink(directory)
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="smtp-sink.invalid", ident="Solabooks SMTP sink"),
        host=HOST,
        port=port,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bound = server.sockets[0].getsockname()[1]
    print(READY_LINE.format(host=HOST, port=bound), flush=True)
    await stop.wait()
    # Not wait_closed(): from Python 3.12 it waits for every client to hang up. Leaving
    # asyncio.run cancels the sessions instead; a held message is then dropped, not kept.
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--dir", type=Path, required=True, help="where messages are kept")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.dir))


if __name__ == "__main__":
    main()
