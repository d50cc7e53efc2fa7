#!/usr/bin/python3
"""fixture_llm.py PORT - a fake OpenAI-compatible /chat/completions endpoint
for test/t/71_llm.t (stdlib only).  GET /_mode/<mode> picks how every
later POST is answered (default ok):

  ok         a valid answer: positive 0.8 if the news says "surge", negative
             -0.7 if it says "hack", else neutral 0
  e500       HTTP 500 whose body echoes the Authorization header it got
  e429       HTTP 429 with Retry-After: 1
  slow       blocks until /_release or 120 s (beyond any request timeout)
  badjson    200 with a body that is not JSON
  range      score 1.5
  label      label "bullish"
  sql        label "'); DROP TABLE alphapulse.news; --"
  sqlcontent the whole content is SQL text
  huge       a 200 kB content string
  redirect   302 to the same path

GET /_stats returns JSON: requests per mode, slow requests in flight, and the
last request (its Authorization header and body).
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {"mode": "ok", "count": {}, "slow_active": 0, "slow_started": 0, "last_auth": None, "last_body": None}
RELEASE = threading.Event()


def answer(content):
    return json.dumps({"id": "x", "object": "chat.completion", "model": "fake-model",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}]})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                self.reply(200, json.dumps(STATS))
        elif self.path.startswith("/_mode/"):
            with LOCK:
                STATS["mode"] = self.path[len("/_mode/"):]
            self.reply(200, "{}")
        elif self.path == "/_release":
            RELEASE.set()
            self.reply(200, "{}")
        else:
            self.reply(404, "{}")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        mode = STATS["mode"]
        auth = self.headers.get("Authorization")
        with LOCK:
            STATS["count"][mode] = STATS["count"].get(mode, 0) + 1
            STATS["last_auth"] = auth
            STATS["last_body"] = body
        try:
            text = json.loads(body)["messages"][-1]["content"].lower()
        except Exception:
            text = ""
        if mode == "ok":
            if "surge" in text:
                c = {"label": "positive", "score": 0.8}
            elif "hack" in text:
                c = {"label": "negative", "score": -0.7}
            else:
                c = {"label": "neutral", "score": 0}
            self.reply(200, answer(json.dumps(c)))
        elif mode == "e500":
            self.reply(500, json.dumps({"error": "internal error; you sent %s" % auth}))
        elif mode == "e429":
            self.reply(429, json.dumps({"error": "rate limited"}), [("Retry-After", "1")])
        elif mode == "slow":
            with LOCK:
                STATS["slow_active"] += 1
                STATS["slow_started"] += 1
            RELEASE.wait(120)
            with LOCK:
                STATS["slow_active"] -= 1
            self.reply(200, answer(json.dumps({"label": "neutral", "score": 0})))
        elif mode == "badjson":
            self.reply(200, '{"choices": [{"message": {"content": "{\\"label\\": \\"positive\\"')
        elif mode == "range":
            self.reply(200, answer(json.dumps({"label": "positive", "score": 1.5})))
        elif mode == "label":
            self.reply(200, answer(json.dumps({"label": "bullish", "score": 0.5})))
        elif mode == "sql":
            self.reply(200, answer(json.dumps({"label": "'); DROP TABLE alphapulse.news; --", "score": 0.1})))
        elif mode == "sqlcontent":
            self.reply(200, answer("'); DROP TABLE alphapulse.news; --"))
        elif mode == "huge":
            self.reply(200, answer(json.dumps({"label": "neutral", "score": 0, "pad": "x" * 200000})))
        elif mode == "redirect":
            self.reply(302, "{}", [("Location", "/v1/chat/completions")])
        else:
            self.reply(404, "{}")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    srv.daemon_threads = True
    print("llm fixture on %s" % sys.argv[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
