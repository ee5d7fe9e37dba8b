#!/usr/bin/env python3
"""The dedup node in Python: one key-value node on stdin/stdout, Maelstrom-style.

Lessons: w11-l04 (idempotent writes) and
w12-leader-election-client-idempotency-d04-quest-dedup-store-2h.

    python3 week-12/node/main.py

The same program as node/main.ts, line for line on stdout: `init` ->
`init_ok`, then `read {key}`, `write {key, value}` and `append {key, value}`,
writes with `client_id` and `seq`. Replies carry `in_reply_to` and a `msg_id`
the node numbers from 0. Logs go to stderr as `<node id> | <line>`, among
them `[dedup] client c1 seq 5 is duplicate, returning cached result`.

Yours to write: `ClientTracker` (register_request, record_response,
garbage_collect_expired_sessions) and `DedupKVStore.handle_request`. The
rules are in their docstrings. A `NotImplementedError` still raised ends the
node with exit code 3 and `not implemented yet: <function>` on stderr.

Environment: DSLAB_SESSION_TIMEOUT_MS (default 300000, 5 minutes).
"""

import json
import os
import sys
import time
import traceback

MAX_JSON_DEPTH = 64
MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_SESSION_TIMEOUT_MS = 300_000
EXIT_NOT_IMPLEMENTED = 3

# Error codes (Maelstrom's, and the project's own from 1000).
NODE_NOT_FOUND = 1
NOT_SUPPORTED = 10
TEMPORARILY_UNAVAILABLE = 11
MALFORMED_REQUEST = 12
CRASH = 13
KEY_DOES_NOT_EXIST = 20
STALE_REQUEST = 1000


class ClientTracker:
    """Per client, the last seq applied and the reply it got.

    All the tracker keeps is in `self.state`, plain data:
    `{"sessions": {client_id: {"last_seq", "response", "last_activity_ms"}}}`.
    Time is always the `now_ms` argument (the time in the log entry), never a
    clock read here.
    """

    def __init__(self, session_timeout_ms, state=None):
        self.session_timeout_ms = session_timeout_ms
        self.state = state if state is not None else {"sessions": {}}

    def register_request(self, client_id, seq, now_ms):
        """What to do with request `seq` from `client_id` at `now_ms`.

        Returns {"kind": "new"} (apply it, then record_response),
        {"kind": "duplicate", "response": <cached reply>} for the client's
        last seq (also counts as activity: set last_activity_ms), or
        {"kind": "stale", "last_seq": <last seq>} for a lower seq.
        """
        raise NotImplementedError("register_request")

    def record_response(self, client_id, seq, response, now_ms):
        """Stores the reply to a newly applied seq: the client's last seq and reply are now these."""
        raise NotImplementedError("record_response")

    def garbage_collect_expired_sessions(self, now_ms):
        """Ends every session idle longer than the timeout at now_ms; returns the ended client ids."""
        raise NotImplementedError("garbage_collect_expired_sessions")


class DedupKVStore:
    """The key-value map with a ClientTracker in front of every write.

    State: `{"data": {key text: value}, "tracker": <the tracker's state>}`.
    """

    def __init__(self, session_timeout_ms, emit=None, state=None):
        self.state = state if state is not None else {"data": {}, "tracker": {"sessions": {}}}
        self.tracker = ClientTracker(session_timeout_ms, self.state["tracker"])
        self.emit = emit or (lambda event: None)

    def handle_request(self, request, now_ms):
        """Answers one request (a body dict without msg_id) at now_ms.

        - First end the expired sessions (garbage_collect_expired_sessions).
        - A read is never deduplicated: apply_operation.
        - A write or append without client_id/seq: apply_operation.
        - With them, ask the tracker: "new": apply, record_response, return
          the reply; "duplicate": return the cached reply and emit
          {"type": "duplicate-answered", "client_id", "seq"}; "stale": return
          stale_reply(...) and emit {"type": "stale-request", "client_id",
          "seq", "last_seq"}.
        """
        raise NotImplementedError("handle_request")


# ------------------------------------------- given: no need to change below --


def apply_operation(data, request):
    """Applies a request to the map; values are never changed in place."""
    name = key_text(request["key"])
    current = data.get(name)
    kind = request["type"]
    if kind == "read":
        if name not in data:
            return error_reply(KEY_DOES_NOT_EXIST, f"key {to_json(request['key'])} does not exist")
        return {"type": "read_ok", "value": current}
    if kind == "write":
        data[name] = request["value"]
        return {"type": "write_ok"}
    if name in data and not isinstance(current, list):
        return error_reply(MALFORMED_REQUEST, f"key {to_json(request['key'])} does not hold a list; append needs one")
    updated = (current if name in data else []) + [request["value"]]
    data[name] = updated
    return {"type": "append_ok", "value": updated}


def stale_reply(client_id, seq, last_seq):
    return error_reply(
        STALE_REQUEST,
        f"client {client_id} seq {seq} is below the last applied seq {last_seq}; this copy was not applied and never will be",
    )


def error_reply(code, text):
    return {"type": "error", "code": code, "text": text}


def key_text(key):
    """The map's key for a key: its text (integer 1 and string "1" are one key)."""
    return key if isinstance(key, str) else str(key)


def render_event(event):
    if event["type"] == "duplicate-answered":
        return f"[dedup] client {event['client_id']} seq {event['seq']} is duplicate, returning cached result"
    if event["type"] == "stale-request":
        return f"[dedup] client {event['client_id']} seq {event['seq']} is stale (last applied seq {event['last_seq']}), refused"
    return json.dumps(event)


# JSON as JavaScript reads and writes it, so both nodes print the same lines.


def _js_float(text):
    """A number as JavaScript holds it (a double), as an int when JavaScript prints it without a point."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if value.is_integer() and abs(value) < 1e21:
        # JavaScript prints the shortest digits that round-trip, then zeros.
        mantissa, _, exponent = repr(value).partition("e")
        if not exponent:
            return int(value)
        sign = "-" if mantissa.startswith("-") else ""
        whole, _, fraction = mantissa.lstrip("-").partition(".")
        digits = (whole + fraction).rstrip("0") or "0"
        return int(sign + digits + "0" * (int(exponent) - len(digits) + 1))
    return value


def _js_int(text):
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else _js_float(text)


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(line):
    return json.loads(line, parse_float=_js_float, parse_int=_js_int, parse_constant=_no_constant)


def to_json(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE_INTEGER


def depth_exceeds(value, max_depth):
    pending = [(value, 0)]
    while pending:
        v, depth = pending.pop()
        if isinstance(v, (list, dict)):
            if depth + 1 > max_depth:
                return True
            children = v.values() if isinstance(v, dict) else v
            pending.extend((c, depth + 1) for c in children)
    return False


def invalid_request(kind, body):
    key = body.get("key")
    if not (isinstance(key, str) or is_int(key)):
        return f'{kind}: field "key" must be a string or an integer'
    if kind == "read":
        return None
    if "value" not in body:
        return f'{kind}: field "value" is missing'
    if depth_exceeds(body["value"], MAX_JSON_DEPTH):
        return f'{kind}: field "value" is nested deeper than {MAX_JSON_DEPTH} levels'
    client_id = body.get("client_id")
    seq = body.get("seq")
    if "client_id" not in body and "seq" not in body:
        return None
    if not isinstance(client_id, str) or not is_int(seq) or seq < 1:
        return f"{kind}: client_id (a string) and seq (a positive integer) go together; send both or neither"
    return None


class DedupNode:
    """The node's logic on lines: no IO but the clock."""

    def __init__(self, session_timeout_ms, log):
        self.node_id = None
        self.next_msg_id = 0
        self.log = log
        self.store = DedupKVStore(session_timeout_ms, emit=lambda event: self.log(render_event(event)))

    @property
    def name(self):
        return self.node_id if self.node_id is not None else "dedup-node"

    def handle_line(self, line, line_number):
        if line.strip() == "":
            return []
        try:
            message = parse_json(line)
        except (ValueError, RecursionError):
            self.log(f"bad input line {line_number}: not JSON; skipped")
            return []
        if not isinstance(message, dict) or not isinstance(message.get("src"), str):
            self.log(f'bad input line {line_number}: not a message with a "src" field; skipped')
            return []
        src = message["src"]
        dest = message["dest"] if isinstance(message.get("dest"), str) else self.name
        body = message.get("body")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return [self.error_to(src, dest, None, MALFORMED_REQUEST, 'field "body" must be an object with a string "type"')]
        kind = body["type"]
        msg_id = body.get("msg_id")
        if "msg_id" in body and not (is_int(msg_id) and msg_id >= 0):
            return [self.error_to(src, dest, None, MALFORMED_REQUEST, f'{kind}: field "msg_id" must be a non-negative integer')]
        if kind.endswith("_ok") or kind == "error":
            return []
        if kind == "init":
            return [self.init(src, dest, body, msg_id)]
        if self.node_id is None:
            return [self.error_to(src, dest, msg_id, TEMPORARILY_UNAVAILABLE, "not initialized: send init first")]
        if dest != self.node_id:
            return [self.error_to(src, self.node_id, msg_id, NODE_NOT_FOUND, f"this is node {self.node_id}, not {dest}")]
        if kind not in ("read", "write", "append"):
            return [self.error_to(src, self.node_id, msg_id, NOT_SUPPORTED, f"this node does not handle {to_json(kind)} requests")]
        bad = invalid_request(kind, body)
        if bad is not None:
            return [self.error_to(src, self.node_id, msg_id, MALFORMED_REQUEST, bad)]
        request = {k: v for k, v in body.items() if k not in ("msg_id", "in_reply_to")}
        return [self.reply(src, self.node_id, msg_id, self.serve(request))]

    def init(self, src, dest, body, msg_id):
        node_id = body.get("node_id")
        node_ids = body.get("node_ids")
        if (
            not isinstance(node_id, str)
            or not isinstance(node_ids, list)
            or not all(isinstance(x, str) for x in node_ids)
            or node_id not in node_ids
        ):
            return self.error_to(
                src, dest, msg_id, MALFORMED_REQUEST, 'init: "node_id" must be a string and "node_ids" a list of strings that includes it'
            )
        if self.node_id is not None and self.node_id != node_id:
            return self.error_to(src, self.node_id, msg_id, MALFORMED_REQUEST, f"already initialized as {self.node_id}; cannot become {node_id}")
        self.node_id = node_id
        return self.reply(src, node_id, msg_id, {"type": "init_ok"})

    def serve(self, request):
        try:
            return self.store.handle_request(request, int(time.time() * 1000))
        except NotImplementedError:
            raise
        except Exception as e:  # the store's own bug: answered, and the node keeps serving
            self.log(f"the store threw while handling {request['type']}: {traceback.format_exc().rstrip()}")
            return error_reply(CRASH, f"crash: {type(e).__name__}: {e}")

    def error_to(self, dest, src, msg_id, code, text):
        return self.reply(dest, src, msg_id, error_reply(code, text))

    def reply(self, dest, src, msg_id, reply):
        body = dict(reply)
        if msg_id is not None:
            body["in_reply_to"] = msg_id
        body["msg_id"] = self.next_msg_id
        self.next_msg_id += 1
        return {"src": src, "dest": dest, "body": body}


def session_timeout_from_env():
    text = os.environ.get("DSLAB_SESSION_TIMEOUT_MS", "")
    if text == "":
        return DEFAULT_SESSION_TIMEOUT_MS
    try:
        ms = int(text)
    except ValueError:
        ms = 0
    if ms < 1:
        sys.exit(f"dedup-node: could not start: DSLAB_SESSION_TIMEOUT_MS must be a positive integer of milliseconds, got {text!r}")
    return ms


def main():
    node = None

    def log(line):
        sys.stderr.write(f"{node.name if node else 'dedup-node'} | {line}\n")
        sys.stderr.flush()

    sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    node = DedupNode(session_timeout_from_env(), log)
    line_number = 0
    for raw in sys.stdin:
        line_number += 1
        try:
            out = node.handle_line(raw.rstrip("\r\n"), line_number)
        except NotImplementedError as e:
            fn = e.args[0] if e.args else "a function"
            log(f"not implemented yet: {fn}")
            sys.stdout.flush()
            sys.exit(EXIT_NOT_IMPLEMENTED)
        for m in out:
            sys.stdout.write(to_json(m) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
