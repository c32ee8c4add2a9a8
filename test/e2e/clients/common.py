"""Shared helpers for the real-client scripts used by the TypeScript end-to-end tests.

Protocol with the test: records to produce come from a JSON-lines file
({"key", "value", "headers": {name: value}, "timestamp": ms or null});
results go to stdout as JSON lines; diagnostics go to stderr. Exit code 0 = success,
1 = client error, 2 = timed out.
"""
import json
import sys
import time


def log(*args):
    print(time.strftime('%H:%M:%S'), *args, file=sys.stderr, flush=True)


def load_records(path):
    records = []
    with open(path, 'r', encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


class JsonOut:
    """Buffered JSON-lines writer to stdout; flush() makes lines visible to the test at once."""

    def __init__(self):
        self.buf = []

    def emit(self, obj):
        self.buf.append(json.dumps(obj, separators=(',', ':')))
        if len(self.buf) >= 500:
            self.flush()

    def flush(self):
        if self.buf:
            sys.stdout.write('\n'.join(self.buf) + '\n')
            self.buf = []
        sys.stdout.flush()


def decode(b):
    if b is None:
        return None
    if isinstance(b, str):
        return b
    return b.decode('utf-8')


def headers_to_dict(headers):
    out = {}
    for k, v in headers or []:
        out[decode(k)] = decode(v)
    return out
