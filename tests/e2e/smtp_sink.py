"""An SMTP server for tests: the development mail catcher
(tools/mailcatcher.py, what `make start` runs) in-process on a free port,
keeping messages in memory so a test can read what the mailer sent."""
import email
import email.policy
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "tools"))
from mailcatcher import MailCatcher  # noqa: E402


def parse(data):
    """A stored message as {"headers": {lower name: value}, "body": text,
    "raw": bytes} (header values unfolded and RFC 2047 decoded)."""
    m = email.message_from_bytes(data, policy=email.policy.default)
    headers = {k.lower(): str(v) for k, v in m.items()}
    body = m.get_content() if not m.is_multipart() else ""
    return {"headers": headers, "body": body, "raw": data}


class SmtpSink:
    def __init__(self, port=0):
        self.srv = MailCatcher("127.0.0.1", port, keep=True).start()
        self.port = self.srv.port

    @property
    def messages(self):
        with self.srv.store.lock:
            raw = list(self.srv.store.messages)
        out = []
        for m in raw:
            p = parse(m["data"])
            p.update({"from": m["from"], "to": m["to"]})
            out.append(p)
        return out

    def for_rcpt(self, addr):
        return [m for m in self.messages if addr in m["to"]]

    def wait_rcpt(self, addr, count=1, secs=10.0):
        """The messages for addr once there are count of them (or when
        secs have passed): the mailer sends after the request's COMMIT."""
        end = time.time() + secs
        while time.time() < end:
            msgs = self.for_rcpt(addr)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        return self.for_rcpt(addr)

    def close(self):
        self.srv.close()
