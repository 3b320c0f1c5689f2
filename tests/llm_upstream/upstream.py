#!/usr/bin/env python3
"""A test double of AIA's LLM upstreams (Python standard library only).

Speaks the documented wire formats:
  - Vertex AI:  POST /v1/projects/{p}/locations/{r}/publishers/google/models/{m}:{method}
                (needs "Authorization: Bearer <a token this server issued>")
  - Gemini API: POST /v1beta/models/{m}:{method}  (needs x-goog-api-key: test-api-key)
    methods: generateContent, streamGenerateContent (?alt=sse: SSE, else a
    streamed JSON array), countTokens
  - OpenAI-compatible: POST /v1/chat/completions (stream or not; with
    --openai-key, needs "Authorization: Bearer <key>")
  - OAuth token endpoint: POST /token[?expires_in=N] with a jwt-bearer
    assertion; the JWT's RS256 signature is verified with the test key's
    public half (test_key_public.json) and its claims are checked
  - the metadata server: GET /computeMetadata/v1/instance/service-accounts/default/token
    (needs Metadata-Flavor: Google)
  - GET /_stats: what the server saw (requests per model, disconnects, token
    requests, rejected JWTs), for the tests' assertions

Behaviour is chosen by the model name (substring match, see behaviour()):
  default   "Hello", ", ", "world", "!" with running usage, STOP
  slow      50 chunks 100 ms apart          bursty  200 chunks in one write
  truncated 2 chunks, then EOF without a finish reason
  cut       1 chunk, then half an event      maxtokens  finish MAX_TOKENS
  crlf      CRLF line ends                   stream-error  200, then an error object
  safety    1 chunk, then finishReason SAFETY with a finishMessage and a
            blocked HARM_CATEGORY_HARASSMENT rating (Gemini only)
  blocked-prompt  no candidates: promptFeedback.blockReason SAFETY, its
            message and ratings (Gemini only)
  fail-429-then-ok / fail-500-then-ok   the first 2 requests of that exact
            model name fail, later ones succeed
  fail-after-token   1 chunk, then the connection drops (every time)
  err-NNN   a Google error body with HTTP status NNN; the retired PaLM and
            Codey names (text-bison, chat-bison, code-bison, codechat-bison,
            code-gecko...) answer 404 like Vertex does
  stamped[-NxMS]  (OpenAI streaming only; for bench/llm_stream.sh) N chunks
            (default 20) MS milliseconds apart (default 50), each chunk's
            TEXT its send time: "<time.time_ns()> ", so the stamp survives
            any proxy that keeps only the text
Every chunk carries "aiaSentNs": its send time (time.time_ns()); Gemini
chunks carry candidates[0].safetyRatings (all NEGLIGIBLE unless blocked)
and a responseId derived from the model name ("resp-" + 12 hex digits of
its SHA-256), as Gemini does.

Usage: upstream.py --port-file FILE [--port N] [--openai-key K]
(writes the bound port to FILE once listening).
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
SA_EMAIL = "aia-test@aia-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
API_KEY = "test-api-key"

LOCK = threading.Lock()
STATS = {"requests": {}, "disconnects": {}, "token_requests": 0, "metadata_requests": 0,
         "jwt_errors": [], "auth_headers": [], "labels": {}}  # labels: the last Gemini request's, per model
TOKENS = set()
OPTS = None


def count(model):
    with LOCK:
        STATS["requests"][model] = STATS["requests"].get(model, 0) + 1
        return STATS["requests"][model]


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def load_public_key():
    with open(os.path.join(HERE, "test_key_public.json")) as f:
        k = json.load(f)
    return int(k["n"], 16), int(k["e"])


# DER prefix of DigestInfo for SHA-256 (RFC 8017, section 9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_verify(signing_input, sig):
    n, e = load_public_key()
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return em == expected


def check_jwt(assertion, token_uri):
    parts = assertion.split(".")
    if len(parts) != 3:
        return "not three dot-separated parts"
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except Exception as ex:  # noqa: BLE001 - any decoding problem is a bad JWT
        return "undecodable: %s" % ex
    if header != {"alg": "RS256", "typ": "JWT"}:
        return "bad header %r" % header
    if not rs256_verify((parts[0] + "." + parts[1]).encode(), sig):
        return "bad RS256 signature"
    now = time.time()
    if claims.get("iss") != SA_EMAIL:
        return "bad iss %r" % claims.get("iss")
    if claims.get("scope") != SCOPE:
        return "bad scope %r" % claims.get("scope")
    if claims.get("aud") != token_uri:
        return "bad aud %r (want %r)" % (claims.get("aud"), token_uri)
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or abs(iat - now) > 300:
        return "bad iat %r" % iat
    if exp != iat + 3600:
        return "exp %r is not iat + 3600" % exp
    return None


def behaviour(model):
    for name in ("fail-429-then-ok", "fail-500-then-ok", "fail-after-token", "stream-error", "slow",
                 "bursty", "truncated", "cut", "maxtokens", "crlf", "stamped", "blocked-prompt", "safety"):
        if name in model:
            return name
    # PaLM and Codey models were retired by Google: Vertex answers 404.
    if re.match(r"(text|chat|code|codechat)-(bison|gecko|unicorn)", model):
        return "err-404"
    m = re.search(r"err-(\d{3})", model)
    return "err-" + m.group(1) if m else "default"


def safety_ratings(blocked_category=None):
    """Gemini's candidates[].safetyRatings: every category NEGLIGIBLE, or
    the blocked one HIGH with "blocked": true."""
    out = []
    for cat in ("HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT",
                "HARM_CATEGORY_SEXUALLY_EXPLICIT"):
        r = {"category": cat, "probability": "NEGLIGIBLE", "probabilityScore": 0.03,
             "severity": "HARM_SEVERITY_NEGLIGIBLE", "severityScore": 0.02}
        if cat == blocked_category:
            r.update({"probability": "HIGH", "probabilityScore": 0.97, "blocked": True})
        out.append(r)
    return out


def gemini_chunk(text, i, n, finish=None, prompt=5, model=""):
    c = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0,
                         "safetyRatings": safety_ratings()}],
         "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": i + 1,
                           "totalTokenCount": prompt + i + 1},
         "modelVersion": model, "responseId": "resp-" + hashlib.sha256(model.encode()).hexdigest()[:12],
         "aiaSentNs": time.time_ns()}
    if finish:
        c["candidates"][0]["finishReason"] = finish
    if finish == "SAFETY":
        c["candidates"][0]["safetyRatings"] = safety_ratings("HARM_CATEGORY_HARASSMENT")
        c["candidates"][0]["finishMessage"] = "The response was blocked: harassment."
    return c


def gemini_blocked_prompt(model):
    """A prompt blocked before any candidate: promptFeedback only."""
    return {"promptFeedback": {"blockReason": "SAFETY", "blockReasonMessage": "The prompt was blocked: harassment.",
                               "safetyRatings": safety_ratings("HARM_CATEGORY_HARASSMENT")},
            "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
            "modelVersion": model, "responseId": "resp-" + hashlib.sha256(model.encode()).hexdigest()[:12]}


def openai_chunk(text, finish=None):
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test",
            "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}],
            "aiaSentNs": time.time_ns()}


def google_error(code, model):
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    msg = {404: "Publisher Model `%s` was not found or your project does not have access to it." % model,
           429: "Resource exhausted. Please try again later.",
           500: "Internal error encountered."}.get(code, "test upstream error %d for %s" % (code, model))
    return {"error": {"code": code, "message": msg, "status": names.get(code, "UNKNOWN")}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # bodies end at EOF: truncation is the client's to detect

    def log_message(self, fmt, *args):  # keep test logs quiet
        pass

    # ---- plumbing ----
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.flush()

    def write(self, data, model):
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            with LOCK:
                STATS["disconnects"][model] = time.time()
            return False

    # ---- routes ----
    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/_stats":
            with LOCK:
                return self.send_json(200, STATS)
        if path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.send_json(403, {"error": "missing Metadata-Flavor: Google"})
            with LOCK:
                STATS["metadata_requests"] += 1
                tok = "meta-%d" % STATS["metadata_requests"]
                TOKENS.add(tok)
            return self.send_json(200, {"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
        self.send_json(404, {"error": {"code": 404, "message": "no route " + path, "status": "NOT_FOUND"}})

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        body = self.body()
        if url.path == "/token":
            return self.token(url, body)
        if url.path == "/v1/chat/completions":
            return self.openai(body)
        m = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/publishers/google/models/([^/:]+):(\w+)", url.path)
        if m:
            auth = self.headers.get("Authorization", "")
            with LOCK:
                STATS["auth_headers"].append(auth)
                ok = auth.startswith("Bearer ") and auth[7:] in TOKENS
            if not ok:
                return self.send_json(401, {"error": {"code": 401, "message": "Request had invalid authentication "
                                                      "credentials.", "status": "UNAUTHENTICATED"}})
            return self.gemini(m.group(3), m.group(4), url.query, body)
        m = re.fullmatch(r"/v1beta/models/([^/:]+):(\w+)", url.path)
        if m:
            if self.headers.get("x-goog-api-key") != API_KEY:
                return self.send_json(400, {"error": {"code": 400, "message": "API key not valid. Please pass a "
                                                      "valid API key.", "status": "INVALID_ARGUMENT"}})
            return self.gemini(m.group(1), m.group(2), url.query, body)
        self.send_json(404, {"error": {"code": 404, "message": "no route " + url.path, "status": "NOT_FOUND"}})

    def token(self, url, body):
        form = urllib.parse.parse_qs(body.decode(), strict_parsing=True)
        with LOCK:
            STATS["token_requests"] += 1
        token_uri = "http://%s%s" % (self.headers.get("Host"), self.path)
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or "assertion" not in form:
            problem = "bad grant_type or no assertion"
        else:
            problem = check_jwt(form["assertion"][0], token_uri)
        if problem:
            with LOCK:
                STATS["jwt_errors"].append(problem)
            return self.send_json(400, {"error": "invalid_grant", "error_description": problem})
        expires = int(urllib.parse.parse_qs(url.query).get("expires_in", ["3600"])[0])
        with LOCK:
            tok = "tok-%d" % STATS["token_requests"]
            TOKENS.add(tok)
        self.send_json(200, {"access_token": tok, "expires_in": expires, "token_type": "Bearer"})

    # ---- Gemini ----
    def gemini(self, model, method, query, body):
        req = json.loads(body or b"{}")
        with LOCK:
            STATS["labels"][model] = req.get("labels")
        if method == "countTokens":
            contents = req.get("contents") or req.get("generateContentRequest", {}).get("contents", [])
            words = sum(len(p.get("text", "").split()) for c in contents for p in c.get("parts", []))
            return self.send_json(200, {"totalTokens": words})
        n = count(model)
        b = behaviour(model)
        if b.startswith("err-"):
            code = int(b[4:])
            return self.send_json(code, google_error(code, model))
        if (b == "fail-429-then-ok" or b == "fail-500-then-ok") and n <= 2:
            code = 429 if "429" in b else 500
            return self.send_json(code, google_error(code, model))
        if b == "blocked-prompt" and method == "generateContent":
            return self.send_json(200, gemini_blocked_prompt(model))
        chunks = self.plan(b)
        if method == "generateContent":
            text = "".join(t for t, _ in chunks)
            return self.send_json(200, gemini_chunk(text, len(chunks) - 1, 1, chunks[-1][1], model=model))
        sse = "alt=sse" in query
        self.start_stream("text/event-stream" if sse else "application/json")
        eol = "\r\n" if b == "crlf" else "\n"
        first = True
        for i, (text, finish) in enumerate(chunks):
            if b == "slow" and i:
                time.sleep(0.1)
            doc = json.dumps(gemini_blocked_prompt(model) if b == "blocked-prompt"
                             else gemini_chunk(text, i, len(chunks), finish, model=model))
            piece = ("data: " + doc + eol + eol) if sse else (("[" if first else ",") + doc)
            first = False
            if b == "bursty":
                chunks[i] = (piece, finish)
                continue
            if not self.write(piece.encode(), model):
                return
        if b == "bursty":
            self.write("".join(p for p, _ in chunks).encode() + (b"" if sse else b"]"), model)
            return
        if b == "stream-error":
            err = json.dumps(google_error(503, model))
            self.write(("data: " + err + "\n\n").encode() if sse else ("," + err + "]").encode(), model)
            return
        if b == "cut":
            self.write(b'data: {"candidates": [' if sse else b',{"candidates": [', model)
            return
        if b == "fail-after-token":
            self.connection.shutdown(2)  # an abrupt end after the first token
            return
        if not sse and b != "truncated":
            self.write(b"]", model)

    @staticmethod
    def plan(b):
        """The (text, finishReason) chunks of a behaviour."""
        if b == "slow":
            return [("s%d " % i, "STOP" if i == 49 else None) for i in range(50)]
        if b == "bursty":
            return [("b%d " % i, "STOP" if i == 199 else None) for i in range(200)]
        if b == "truncated":
            return [("Hello", None), (", ", None)]
        if b in ("cut", "fail-after-token", "stream-error", "blocked-prompt"):
            return [("partial", None)]
        if b == "safety":
            return [("Well, ", None), ("", "SAFETY")]
        finish = "MAX_TOKENS" if b == "maxtokens" else "STOP"
        return [("Hello", None), (", ", None), ("world", None), ("!", finish)]

    # ---- OpenAI ----
    def openai(self, body):
        if OPTS.openai_key and self.headers.get("Authorization") != "Bearer " + OPTS.openai_key:
            return self.send_json(401, {"error": {"message": "Incorrect API key provided", "type":
                                                  "invalid_request_error"}})
        req = json.loads(body or b"{}")
        model = req.get("model", "")
        n = count(model)
        b = behaviour(model)
        if b.startswith("err-"):
            code = int(b[4:])
            return self.send_json(code, {"error": {"message": "test upstream error %d for %s" % (code, model),
                                                   "type": "invalid_request_error"}})
        if (b == "fail-429-then-ok" or b == "fail-500-then-ok") and n <= 2:
            code = 429 if "429" in b else 500
            return self.send_json(code, {"error": {"message": "try again (%d)" % code, "type": "server_error"}})
        if b == "stamped" and req.get("stream"):
            return self.openai_stamped(model)
        chunks = self.plan(b)
        if not req.get("stream"):
            text = "".join(t for t, _ in chunks)
            return self.send_json(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                     "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 5, "completion_tokens": len(chunks),
                                                  "total_tokens": 5 + len(chunks)}})
        self.start_stream("text/event-stream")
        for i, (text, finish) in enumerate(chunks):
            if b == "slow" and i:
                time.sleep(0.1)
            fr = {"STOP": "stop", "MAX_TOKENS": "length"}.get(finish) if finish else None
            if not self.write(("data: " + json.dumps(openai_chunk(text)) + "\n\n").encode(), model):
                return
            if fr:
                self.write(("data: " + json.dumps(openai_chunk("", fr)) + "\n\n").encode(), model)
        if b in ("truncated", "cut", "fail-after-token", "stream-error"):
            if b == "cut":
                self.write(b'data: {"choices": [', model)
            return
        usage = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": [],
                 "usage": {"prompt_tokens": 5, "completion_tokens": len(chunks), "total_tokens": 5 + len(chunks)}}
        self.write(("data: " + json.dumps(usage) + "\n\ndata: [DONE]\n\n").encode(), model)


    def openai_stamped(self, model):
        """Chunks whose text is their send time, taken just before the write."""
        m = re.search(r"stamped-(\d+)x(\d+)", model)
        n, gap = (int(m.group(1)), int(m.group(2)) / 1000.0) if m else (20, 0.05)
        self.start_stream("text/event-stream")
        for i in range(n):
            if i:
                time.sleep(gap)
            doc = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test",
                   "choices": [{"index": 0, "delta": {"content": "%d " % time.time_ns()}, "finish_reason": None}]}
            if not self.write(("data: " + json.dumps(doc) + "\n\n").encode(), model):
                return
        if not self.write(("data: " + json.dumps(openai_chunk("", "stop")) + "\n\n").encode(), model):
            return
        usage = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": [],
                 "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}}
        self.write(("data: " + json.dumps(usage) + "\n\ndata: [DONE]\n\n").encode(), model)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2048  # many concurrent streams connect at once


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--openai-key", default="")
    OPTS = ap.parse_args()
    srv = Server(("127.0.0.1", OPTS.port), Handler)
    tmp = OPTS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, OPTS.port_file)
    try:
        srv.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
