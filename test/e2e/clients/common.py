"""Shared helpers for the real-client scripts used by the TypeScript end-to-end tests.

Protocol with the test: records to produce come from a JSON-lines file
({"key", "value", "headers": {name: value}, "timestamp": ms or null});
results go to stdout as JSON lines; diagnostics go to stderr. Exit code 0 = success,
1 = client error, 2 = timed out.
"""
import argparse
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


def command_parser(add_options=None):
    """The command line shared by the client scripts: the commands create-topic, produce, consume and
    read-all, each with --bootstrap and --topic; --partitions (create-topic, read-all); --input and
    --acks (produce); --count, --group and --linger (consume); --timeout (consume, read-all).
    add_options(name, subparser), if given, adds a script's own options to each command."""
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('create-topic', 'produce', 'consume', 'read-all'):
        s = sub.add_parser(name)
        s.add_argument('--bootstrap', required=True)
        s.add_argument('--topic', required=True)
        if name in ('create-topic', 'read-all'):
            s.add_argument('--partitions', type=int, required=True)
        if name == 'produce':
            s.add_argument('--input', required=True)
            s.add_argument('--acks', default='all')
        if name == 'consume':
            s.add_argument('--count', type=int, required=True)
            s.add_argument('--group', required=True)
            s.add_argument('--linger', type=float, default=1.0)
        if name in ('consume', 'read-all'):
            s.add_argument('--timeout', type=float, default=40)
        if add_options is not None:
            add_options(name, s)
    return ap


def run_command(args, commands, client_error, describe=str):
    """Run commands[args.cmd](args) and return its exit code; a client_error is logged
    (through describe) and becomes exit code 1."""
    try:
        return commands[args.cmd](args)
    except client_error as e:
        log(client_error.__name__ + ':', describe(e))
        return 1
