#!/usr/bin/env python3
"""A real SMTP server for the test suite (aiosmtpd), listening on 127.0.0.1 only.

Every message it accepts is written atomically to DIR/<random>.eml, preceded by an
`X-Envelope-To:` header with the envelope recipients, so tests can wait for mail by file.
Run: python3 tests/support/smtp_sink.py --port PORT --dir DIR
"""

import argparse
import os
import pathlib
import time
import uuid

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, out: pathlib.Path):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        name = uuid.uuid4().hex
        tmp = self.out / f".{name}.tmp"
        rcpt = ",".join(envelope.rcpt_tos).encode()
        tmp.write_bytes(b"X-Envelope-To: " + rcpt + b"\r\n" + data)
        os.replace(tmp, self.out / f"{name}.eml")
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    out = pathlib.Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToDir(out), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
