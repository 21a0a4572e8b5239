"""A local HTTP server that speaks enough of the Anthropic Messages API for tests and demos.

    with AnthropicServer() as server:
        server.enqueue(Reply.overloaded(), Reply.json({"summary": "..."}))
        client = anthropic.Anthropic(api_key="test-key", base_url=server.base_url)
        client.messages.create(...)          # 529, the SDK retries, then the JSON answer
        server.requests[-1].body["model"]    # what the SDK sent

The real `anthropic` SDK talks to it over a socket on 127.0.0.1, so its retries, headers
and parsing run exactly as against api.anthropic.com (docs/design.md §7: no mocks of our own
boundaries). It serves:

- `POST /v1/messages`: the next scripted `Reply` of the queue; when the queue is empty,
  an answer built from the request's structured-output schema (`example_from_schema`),
  or a plain "OK" without one. Every request is recorded, with the time it arrived.
- `POST /v1/messages/count_tokens`: `{"input_tokens": n}` for the request's prompt.

Token counts are an estimate, not a tokenizer: one token per 4 characters (rounded up)
of the prompt's text (system blocks, message text, tools and output schema as JSON),
Anthropic's own rule of thumb for English prose. JSON and URLs tokenize somewhat denser
in reality; the estimate is for bounding prompts, not for billing.

Prompt caching is emulated: the prompt up to and including the last block that carries
`cache_control` (system blocks first, then message blocks) is the cacheable prefix. The
first request with a given prefix reports it as `cache_creation_input_tokens`, later
ones as `cache_read_input_tokens`; `input_tokens` counts the rest, as the real API does.
A prefix shorter than `MIN_CACHEABLE_TOKENS` (1024, the minimum of the Sonnet models) is
not cached, also as the real API does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHARS_PER_TOKEN = 4
MIN_CACHEABLE_TOKENS = 1024
MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


def estimate_tokens(text: str) -> int:
    """Tokens of `text` by the 4-characters-per-token rule (see the module docstring)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """One scripted answer: a message (`text`) or an API error (`status` >= 400)."""

    status: int = 200
    text: str = ""
    stop_reason: str = "end_turn"
    error_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def message(cls, text: str, *, stop_reason: str = "end_turn") -> Reply:
        return cls(text=text, stop_reason=stop_reason)

    @classmethod
    def json(cls, value: Any) -> Reply:
        """An answer whose text is `value` as JSON, as structured outputs return it."""
        return cls(text=json.dumps(value))

    @classmethod
    def error(
        cls, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> Reply:
        return cls(status=status, text=message, error_type=error_type, headers=headers or {})

    @classmethod
    def overloaded(cls) -> Reply:
        """529, what the API answers when it is overloaded."""
        return cls.error(529, "overloaded_error", "Overloaded")

    @classmethod
    def rate_limited(cls, retry_after: float) -> Reply:
        """429 with a `retry-after` header (seconds)."""
        headers = {"retry-after": f"{retry_after:g}"}
        return cls.error(429, "rate_limit_error", "Number of requests exceeded", headers)

    @classmethod
    def server_error(cls) -> Reply:
        return cls.error(500, "api_error", "Internal server error")


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    """What the server received: path, headers (lower-case names), JSON body, arrival time."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float


# --- what the prompt costs -------------------------------------------------------------


def _blocks(content: Any) -> list[dict[str, Any]]:
    """A `system` or message `content`: a string is one text block."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "text":
        return str(block.get("text", ""))
    return json.dumps({k: v for k, v in block.items() if k != "cache_control"})


def prompt_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The prompt's blocks in the API's cache order: system, then each message's content."""
    blocks = _blocks(body.get("system"))
    for message in body.get("messages") or []:
        blocks.extend(_blocks(message.get("content")))
    return blocks


def _overhead_text(body: dict[str, Any]) -> str:
    """The parts of a prompt that are not blocks: tools and the output schema."""
    extra = {key: body[key] for key in ("tools", "output_config") if body.get(key)}
    return json.dumps(extra) if extra else ""


def count_input_tokens(body: dict[str, Any]) -> int:
    """Every input token of a request, cached or not."""
    text = "".join(_block_text(block) for block in prompt_blocks(body))
    return estimate_tokens(text + _overhead_text(body))


def cacheable_prefix(body: dict[str, Any]) -> tuple[str, int] | None:
    """(hash, tokens) of the prompt up to the last `cache_control` block, if cacheable."""
    blocks = prompt_blocks(body)
    marked = [i for i, block in enumerate(blocks) if block.get("cache_control")]
    if not marked:
        return None
    text = "".join(_block_text(block) for block in blocks[: marked[-1] + 1])
    tokens = estimate_tokens(text)
    if tokens < MIN_CACHEABLE_TOKENS:
        return None
    return hashlib.sha256(text.encode()).hexdigest(), tokens


# --- answers without a script ----------------------------------------------------------


def example_from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small value that satisfies the JSON schema `schema` (the structured-output subset).

    Objects get every property, arrays their minimum number of items, strings
    "example", numbers 1, enums their first member, unions their first option.
    """
    defs = schema.get("$defs", {}) if defs is None else defs
    if "$ref" in schema:
        return example_from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            return example_from_schema(schema[union][0], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    return _EXAMPLES[kind](schema, defs)


_EXAMPLES: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "object": lambda s, d: {
        name: example_from_schema(value, d) for name, value in s.get("properties", {}).items()
    },
    "array": lambda s, d: [example_from_schema(s.get("items", {}), d)] * s.get("minItems", 0),
    "string": lambda s, d: "example",
    "integer": lambda s, d: s.get("minimum", 1),
    "number": lambda s, d: s.get("minimum", 1.0),
    "boolean": lambda s, d: False,
    "null": lambda s, d: None,
}  # fmt: skip


def schema_reply(body: dict[str, Any]) -> Reply:
    """The default answer: an instance of the requested output schema, or "OK"."""
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
    return Reply.json(example_from_schema(schema)) if schema else Reply.message("OK")


# --- the server ------------------------------------------------------------------------


class AnthropicServer:
    """The fake Messages API: a real HTTP server on 127.0.0.1 in a daemon thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: Callable[..., Reply] = schema_reply,
    ) -> None:
        self.default = default
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._cached: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._http = ThreadingHTTPServer((host, port), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="anthropic-server", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def message_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == MESSAGES_PATH]

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next `/v1/messages` requests with `replies`, in order."""
        with self._lock:
            self._replies.extend(replies)

    def reset(self) -> None:
        """Forget scripted replies, recorded requests and cached prefixes."""
        with self._lock:
            self._replies.clear()
            self._requests.clear()
            self._cached.clear()

    def pending(self) -> int:
        """Scripted replies not served yet."""
        with self._lock:
            return len(self._replies)

    def start(self) -> AnthropicServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)

    def __enter__(self) -> AnthropicServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- called by the handler ---------------------------------------------------------

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        request = RecordedRequest(path=path, headers=headers, body=body, received_at=time.time())
        with self._lock:
            self._requests.append(request)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            scripted = self._replies.popleft() if self._replies else None
        return scripted or self.default(body)

    def usage(self, body: dict[str, Any], output_text: str) -> dict[str, Any]:
        """The `usage` object of a message answer, with the cache emulated."""
        total = count_input_tokens(body)
        written = read = 0
        prefix = cacheable_prefix(body)
        if prefix is not None:
            digest, tokens = prefix
            with self._lock:
                seen = digest in self._cached
                self._cached.add(digest)
            read, written = (tokens, 0) if seen else (0, tokens)
        return {
            "input_tokens": total - read - written,
            "output_tokens": estimate_tokens(output_text),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
            "service_tier": "standard",
        }

    def message_json(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        return {
            "id": f"msg_fake{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "unknown"),
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": self.usage(body, reply.text),
        }


def _error_json(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _has_credentials(headers: Any) -> bool:
    """An API key, as `x-api-key` or (newer SDKs) `Authorization: Bearer <key>`."""
    bearer = (headers.get("authorization") or "").removeprefix("Bearer ").strip()
    return bool(headers.get("x-api-key") or bearer)


def _handler_for(server: AnthropicServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to `server` (http.server makes one per request)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._send(400, _error_json("invalid_request_error", "Body is not JSON"))
                return
            path = self.path.split("?", 1)[0]
            server.record(path, {k.lower(): v for k, v in self.headers.items()}, body)
            if not _has_credentials(self.headers):
                message = "x-api-key or Authorization: Bearer header is required"
                self._send(401, _error_json("authentication_error", message))
            elif path == COUNT_TOKENS_PATH:
                self._send(200, {"input_tokens": count_input_tokens(body)})
            elif path == MESSAGES_PATH:
                self._answer(body)
            else:
                self._send(404, _error_json("not_found_error", f"No such endpoint: {path}"))

        def _answer(self, body: dict[str, Any]) -> None:
            reply = server.next_reply(body)
            if reply.status >= 400:
                error = _error_json(reply.error_type or "api_error", reply.text)
                self._send(reply.status, error, reply.headers)
            else:
                self._send(200, server.message_json(body, reply), reply.headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_fake{time.monotonic_ns()}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `server.requests`, not stderr."""

    return Handler


def serve_anthropic() -> Iterator[AnthropicServer]:
    """A started server for a pytest fixture: `yield from serve_anthropic()`."""
    with AnthropicServer() as server:
        yield server
