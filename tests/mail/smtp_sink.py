"""An SMTP server on loopback that keeps what it is sent, for the mail tests (aiosmtpd, PyPI).

Usage: smtp_sink.py --dir DIR [--port N] [--reject-permanent ADDR]... [--reject-transient ADDR]...

Listens on 127.0.0.1:N (N = 0: a free port) and prints `LISTENING 127.0.0.1:<port>` on the first
line of stdout once it accepts connections; serves until killed. Each accepted message is written
to DIR as `<n>.eml` (the raw bytes as received) and then as one JSON line in DIR/messages.jsonl:
{"file": "<n>.eml", "mail_from": ..., "rcpt_tos": [...]}. A line is only written once its file
is complete, so a reader never sees half a message.

RCPT TO an address given with --reject-permanent is answered `550 5.1.1 Mailbox unknown`, one
given with --reject-transient `451 4.3.0 Try again later` (case-insensitive).

smtp_sink.py --parse FILE reads a stored message with Python's own e-mail parser and prints its
decoded headers and text as JSON: what a mail program would show.
"""

import argparse
import asyncio
import json
import os
import sys
from email import policy
from email.parser import BytesParser


class Sink:
    def __init__(self, directory, permanent, transient):
        self.directory = directory
        self.permanent = {a.lower() for a in permanent}
        self.transient = {a.lower() for a in transient}
        os.makedirs(directory, exist_ok=True)
        self.count = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.permanent:
            return "550 5.1.1 Mailbox unknown"
        if address.lower() in self.transient:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{self.count}.eml"
        with open(os.path.join(self.directory, name), "wb") as f:
            f.write(envelope.original_content)
        line = {"file": name, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        with open(os.path.join(self.directory, "messages.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        return f"250 2.0.0 Ok: queued as {self.count}"


def parse(path):
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    print(
        json.dumps(
            {
                "from": str(msg["From"]),
                "to": str(msg["To"]),
                "subject": str(msg["Subject"]),
                "date": str(msg["Date"]) if msg["Date"] else None,
                "message_id": str(msg["Message-ID"]),
                "auto_submitted": msg["Auto-Submitted"],
                "content_type": msg.get_content_type(),
                "charset": msg.get_content_charset(),
                "body": msg.get_content(),
                "defects": [repr(d) for d in msg.defects],
            },
            ensure_ascii=False,
        )
    )


async def serve():
    from aiosmtpd.smtp import SMTP

    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reject-permanent", action="append", default=[])
    parser.add_argument("--reject-transient", action="append", default=[])
    args = parser.parse_args()
    sink = Sink(args.dir, args.reject_permanent, args.reject_transient)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=args.port,
        reuse_address=True,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--parse"]:
        parse(sys.argv[2])
    else:
        asyncio.run(serve())
