"""What one message's SMTP exchange costs, client and server, with nothing else around it.

aiosmtplib sends messages the size of an invitation (`--lines` base64 lines) over one
connection to the SMTP sink in a child process; the CPU of each side is read per message.
This is the floor under the email path's delivery: what a pilot's 14 messages cost in
SMTP alone, however the rest is built (docs/PERFORMANCE.md, "The ceiling").

    .venv/bin/python -m benchmarks.smtp_exchange
    .venv/bin/python -m benchmarks.smtp_exchange --messages 5000 --lines 3
"""

import argparse
import asyncio
import time

import aiosmtplib

from benchmarks.common import cpu_seconds, load_average, machine_facts, smtp_sink_process, table

WARM_UP_MESSAGES = 200


def message(lines: int) -> bytes:
    headers = b"From: a@pilotflow.example\r\nTo: b@pilotflow.example\r\nSubject: s\r\n\r\n"
    return headers + (b"QUJD" * 19 + b"\r\n") * lines


async def send(port: int, messages: int, body: bytes) -> None:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench.local")
    await smtp.connect()
    for _ in range(messages):
        await smtp.sendmail("a@pilotflow.example", ["b@pilotflow.example"], body)
    await smtp.quit()


def main(args: argparse.Namespace) -> None:
    print(f"# smtp_exchange — {machine_facts()}")
    print(f"load average before: {load_average()}")
    rows = []
    with smtp_sink_process() as sink:
        for lines in args.lines:
            body = message(lines)
            asyncio.run(send(sink.port, WARM_UP_MESSAGES, body))
            client, server = time.process_time(), cpu_seconds(sink.pid)
            started = time.perf_counter()
            asyncio.run(send(sink.port, args.messages, body))
            per_message = [
                1000 * (time.process_time() - client) / args.messages,
                1000 * (cpu_seconds(sink.pid) - server) / args.messages,
                1000 * (time.perf_counter() - started) / args.messages,
            ]
            rows.append([lines, len(body), *(f"{ms:.3f}" for ms in per_message)])
    header = ["lines", "bytes", "client CPU ms", "sink CPU ms", "wall ms"]
    print(table(header, rows))
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--lines", type=int, nargs="+", default=[3, 84])
    main(parser.parse_args())
