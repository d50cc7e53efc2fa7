#!/usr/bin/python3
"""Fixture HTTP server for the feed tests and bench: serves the bundled
SYNTHETIC bars (test/fixtures/feed_bars.csv, copied from test/data/sample_bars.csv,
2021 only) in the response shapes of binance, coinbase, kraken, coingecko and
yahoo, with their pagination, plus RSS/Atom news, and fault modes.

Prices are copied from the CSV text into the JSON text unchanged (strings for
binance/kraken, bare JSON numbers for coinbase/coingecko/yahoo).

URL layout:  /<faults>/<format>/...   where <faults> is "ok" or a "+"-joined
list of fault names, each optionally "xN" (first N requests on that fault
path only, then normal).  Faults:
  500        HTTP 500                 429       429 with Retry-After: 1
  trunc      Content-Length longer than the body, connection closed early
  badjson    a syntactically broken JSON body (complete HTTP response)
  badnum     the bar at index 50 of the series has close "12.3.4"
  huge       the bar at index 50 of the series has close "1e5000"
  slow       sleep 3 s before answering
  delay      sleep 0.05 s before answering (long backfills for crash tests)
  redirect   302 to the same URL on host "localhost" (not on the allow list)
  hop        302 to the same URL without the hop fault, same host
  big        2 MB body
  overlap    each page starts 5 bars before the requested start
  dup        every bar appears twice in each page
  auth       401 unless the X-MBX-APIKEY header is "fixture-key"
  forming    binance: the last page ends with a still-forming candle (closeTime
             an hour from now) whose close moves up by 1 on every request
  empty      an empty page ([]) every time
  endless    binance: `limit` one-second bars from startTime, every time (a feed
             that never catches up)
  ra3600     429 with Retry-After: 3600
  badutf8    500 whose body has invalid UTF-8, a NUL and control characters
  cututf8    500 whose body is 199 ASCII bytes then multi-byte characters, so a
             200-byte preview ends inside one
  querykey   401 unless the query has x_api_key=fixture-key
  echo       500 whose body repeats the request path and query
  gateN      requests after the N-th on this faults segment wait (up to 120 s)
             until GET /_open/<faults segment>: a test holds a backfill at a
             known point instead of racing it
GET /ok/gennews/rss.xml: an RSS feed of SYNTHETIC headlines about the loaded
bars (test/data/gen_news.py; the demo's sample news).
Any other name is a tag with no effect (to count a test's requests apart).
GET /_count/<faults segment> answers how many requests that segment received.
GET /_open/<faults segment> lets that segment's held (gateN) requests go on.
Binance symbol GEN (bench): 1,000,000 generated one-minute bars from 2000-01-01.
Standard library only; 127.0.0.1 only.
"""
import csv
from decimal import Decimal
import datetime as dt
import http.server
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
HOUR = 3600

SERIES = {}          # symbol -> list of (unix_s, o, h, l, c, v) with text prices
INDEX = {}           # symbol -> {unix_s: position}
COUNTS = {}
SEEN = {}           # faults segment -> requests received
LOCK = threading.Lock()
GATES = {}          # faults segment -> threading.Event, set by /_open/
BARS_PATH = [None]   # the bars file loaded, for the generated news feed
GENNEWS = {}         # bars path -> generated RSS bytes


def load(path):
    BARS_PATH[0] = path
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            t = dt.datetime.strptime(row["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            s = int((t - EPOCH).total_seconds())
            SERIES.setdefault(row["symbol"], []).append(
                (s, row["open"], row["high"], row["low"], row["close"], row["volume"]))
    for sym, rows in SERIES.items():
        rows.sort()
        INDEX[sym] = {r[0]: i for i, r in enumerate(rows)}


GEN_START = int((dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) - EPOCH).total_seconds())
GEN_N = 1000000


GEN_STEP = 60


def gen_rows(first, n):
    """Bench series: bar i copies btc bar i mod len(btc), at 2000-01-01 + i minutes."""
    src = SERIES["btc"]
    out = []
    for i in range(first, min(first + n, GEN_N)):
        r = src[i % len(src)]
        out.append((GEN_START + i * GEN_STEP,) + r[1:])
    return out


def rows_from(sym, start_s, n, faults):
    """Up to n bars with time >= start_s (overlap moves the start back 5 bars)."""
    if "overlap" in faults:
        start_s -= 5 * HOUR
    if sym == "gen":
        first = max(0, -(-(start_s - GEN_START) // GEN_STEP))
        return gen_rows(first, n)
    rows = SERIES.get(sym, [])
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid][0] < start_s:
            lo = mid + 1
        else:
            hi = mid
    out = rows[lo:lo + n]
    if "badnum" in faults:
        out = [(r[0], r[1], r[2], r[3], "12.3.4", r[5]) if rows[50][0] == r[0] else r for r in out]
    if "huge" in faults:
        out = [(r[0], r[1], r[2], r[3], "1e5000", r[5]) if rows[50][0] == r[0] else r for r in out]
    if "dup" in faults:
        out = [r for r in out for _ in (0, 1)]
    return out


def rows_between(sym, a, b, faults):
    """Bars with a <= time <= b."""
    out = rows_from(sym, a, 100000, faults)
    return [r for r in out if r[0] <= b]


PAIRS = {"btcusdt": "btc", "ethusdt": "eth", "gen": "gen", "btc-usd": "btc", "eth-usd": "eth",
         "xbtusd": "btc", "ethusd": "eth", "bitcoin": "btc", "ethereum": "eth", "btc": "btc", "eth": "eth"}


def sym_of(name):
    return PAIRS.get(name.lower(), name.lower())


GEN_CACHE = {}     # (start_ms, limit) -> body: the bench re-reads the same pages


def binance(path, q, faults):
    sym = sym_of(q.get("symbol", ["BTCUSDT"])[0])
    start_ms = int(q.get("startTime", ["0"])[0])
    limit = min(int(q.get("limit", ["500"])[0]), 1000 if sym != "gen" else 100000)
    if sym == "gen" and not faults:
        key = (start_ms, limit)
        if key not in GEN_CACHE:
            GEN_CACHE[key] = binance_body(sym, start_ms, limit, faults)
        return GEN_CACHE[key]
    return binance_body(sym, start_ms, limit, faults)


FORMING_CALLS = [0]


def binance_body(sym, start_ms, limit, faults):
    rows = rows_from(sym, -(-start_ms // 1000), limit, faults)
    if "forming" in faults and len(rows) < limit and SERIES.get(sym):
        last = SERIES[sym][-1]
        with LOCK:
            FORMING_CALLS[0] += 1
            n = FORMING_CALLS[0]
        base = Decimal(last[4])
        close = base + n
        rows = rows + [(last[0] + HOUR, last[4], str(close + 1), str(base - 1), str(close), "1.5000")]
        open_until = int(time.time() + 3600) * 1000
    parts = []
    for r in rows:
        parts.append('[%d,"%s","%s","%s","%s","%s",%d,"0",1,"0","0","0"]'
                     % (r[0] * 1000, r[1], r[2], r[3], r[4], r[5],
                        (r[0] + (GEN_STEP if sym == "gen" else HOUR)) * 1000 - 1))
    if "forming" in faults and len(rows) and SERIES.get(sym) and rows[-1][0] > SERIES[sym][-1][0]:
        parts[-1] = parts[-1].replace(",%d," % ((rows[-1][0] + HOUR) * 1000 - 1), ",%d," % open_until, 1)
    return "[" + ",".join(parts) + "]"


def iso_s(s):
    return int((dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc) - EPOCH).total_seconds())


def coinbase(path, q, faults):
    sym = sym_of(path.split("/")[3])
    a, b = iso_s(q["start"][0]), iso_s(q["end"][0])
    rows = rows_between(sym, a, b, faults)
    if len(rows) > 300 and "dup" not in faults and "overlap" not in faults:
        return None
    rows.reverse()                      # newest first, as coinbase sends
    return "[" + ",".join("[%d,%s,%s,%s,%s,%s]" % (r[0], r[3], r[2], r[1], r[4], r[5]) for r in rows) + "]"


def kraken(path, q, faults):
    sym = sym_of(q.get("pair", ["XBTUSD"])[0])
    since = int(q.get("since", ["0"])[0])
    rows = rows_from(sym, since + 1, 720, faults)
    series = SERIES.get(sym, [])
    if len(rows) < 720 and series:
        # the still-open frame after the last committed one
        last = series[-1]
        rows = rows + [(last[0] + HOUR, last[4], last[4], last[4], last[4], "0.0001")]
    ents = ['[%d,"%s","%s","%s","%s","0","%s",1]' % (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
    last_id = rows[-2][0] if len(rows) >= 2 else since
    key = "XXBTZUSD" if sym == "btc" else "XETHZUSD"
    return '{"error":[],"result":{"%s":[%s],"last":%d}}' % (key, ",".join(ents), last_id)


def coingecko(path, q, faults):
    sym = sym_of(path.split("/")[5])
    a, b = int(q["from"][0]), int(q["to"][0])
    rows = rows_between(sym, a, b, faults)
    prices = ",".join("[%d,%s]" % (r[0] * 1000, r[4]) for r in rows)
    vols = ",".join("[%d,%s]" % (r[0] * 1000, r[5]) for r in rows)
    return '{"prices":[%s],"market_caps":[],"total_volumes":[%s]}' % (prices, vols)


def yahoo(path, q, faults):
    sym = sym_of(path.split("/")[5])
    a, b = int(q["period1"][0]), int(q["period2"][0])
    rows = [r for r in rows_between(sym, a, b, faults) if r[0] < b]
    if not rows:
        return '{"chart":{"result":[{"meta":{"symbol":"%s"},"indicators":{"quote":[{}]}}],"error":null}}' % sym
    col = lambda k: "[" + ",".join(r[k] for r in rows) + "]"
    return ('{"chart":{"result":[{"meta":{"symbol":"%s"},"timestamp":[%s],"indicators":{"quote":'
            '[{"open":%s,"high":%s,"low":%s,"close":%s,"volume":%s}]}}],"error":null}}'
            % (sym, ",".join(str(r[0]) for r in rows), col(1), col(2), col(3), col(4), col(5)))


FORMATS = {"binance": binance, "coinbase": coinbase, "kraken": kraken, "coingecko": coingecko,
           "yahoo": yahoo}


def parse_faults(seg):
    """'500x2+slow' -> {'500': 2, 'slow': None}"""
    out = {}
    if seg == "ok":
        return out
    for f in seg.split("+"):
        name, _, n = f.partition("x")
        out[name] = int(n) if n else None
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("FIXTURE_LOG"):
            sys.stderr.write("fixture: " + (fmt % args) + "\n")

    def send(self, code, body, ctype="application/json", headers=(), length=None):
        data = body.encode() if isinstance(body, str) else body
        if code == 200 and length is None:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                             % (ctype.encode(), len(data)) + data)
            return
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        segs = u.path.split("/", 2)
        if len(segs) < 3:
            return self.send(404, '{"msg":"no such path"}')
        faultseg, rest = segs[1], "/" + segs[2]
        if faultseg == "_count":
            with LOCK:
                n = SEEN.get(segs[2], 0)
            return self.send(200, str(n), "text/plain")
        if faultseg == "_open":
            with LOCK:
                gate = GATES.setdefault(segs[2], threading.Event())
            gate.set()
            return self.send(200, "open", "text/plain")
        with LOCK:
            SEEN[faultseg] = SEEN.get(faultseg, 0) + 1
            seen = SEEN[faultseg]
            gate = GATES.setdefault(faultseg, threading.Event())
        for f in faultseg.split("+"):
            if f.startswith("gate") and f[4:].isdigit() and seen > int(f[4:]):
                gate.wait(120)
        faults = parse_faults(faultseg)
        active = set()
        with LOCK:
            for name, n in faults.items():
                key = (faultseg, name, rest.split("/")[1])
                COUNTS[key] = COUNTS.get(key, 0) + 1
                if n is None or COUNTS[key] <= n:
                    active.add(name)
        host = self.headers.get("Host", "127.0.0.1")
        port = host.rsplit(":", 1)[1] if ":" in host else "80"
        if "redirect" in active:
            return self.send(302, "", headers=[("Location", "http://localhost:%s%s" % (port, self.path))])
        if "hop" in active:
            left = [f for f in faultseg.split("+") if not f.startswith("hop")]
            return self.send(302, "", headers=[("Location", "/%s%s?%s" % ("+".join(left) or "ok", rest, u.query))])
        if "auth" in active and self.headers.get("X-MBX-APIKEY") != "fixture-key":
            return self.send(401, '{"msg":"API-key format invalid."}')
        if "querykey" in active and q.get("x_api_key", [""])[0] != "fixture-key":
            return self.send(401, '{"msg":"missing or wrong x_api_key"}')
        if "echo" in active:
            return self.send(500, "you asked for " + self.path)
        if "badutf8" in active:
            return self.send(500, b'bad \xff\xfe bytes \xc0\xaf overlong \xed\xa0\x80 surrogate \x00 nul \x1b[31m escape \r end')
        if "cututf8" in active:
            return self.send(500, ("x" * 199 + "\u20ac" * 10).encode())
        if "ra3600" in active:
            return self.send(429, '{"msg":"come back in an hour"}', headers=[("Retry-After", "3600")])
        if "500" in active:
            return self.send(500, '{"msg":"fixture 500"}')
        if "429" in active:
            return self.send(429, '{"msg":"slow down"}', headers=[("Retry-After", "1")])
        if "slow" in active:
            time.sleep(3)
        if "delay" in active:
            time.sleep(0.05)
        if "big" in active:
            return self.send(200, "[" + " " * (2 * 1024 * 1024) + "]")
        if "empty" in active:
            return self.send(200, "[]")
        if "endless" in active:
            start_ms = int(q.get("startTime", ["0"])[0])
            limit = min(int(q.get("limit", ["500"])[0]), 1000)
            return self.send(200, "[" + ",".join(
                '[%d,"100","101","99","100","1",%d,"0",1,"0","0","0"]' % (start_ms + i * 1000, start_ms + i * 1000 + 999)
                for i in range(limit)) + "]")
        fmt = rest.split("/")[1]
        if fmt == "gennews":
            with LOCK:
                if BARS_PATH[0] not in GENNEWS:
                    sys.path.insert(0, os.path.join(HERE, "data"))
                    import gen_news
                    GENNEWS[BARS_PATH[0]] = gen_news.rss(gen_news.generate(BARS_PATH[0])).encode()
                data = GENNEWS[BARS_PATH[0]]
            return self.send(200, data, "application/rss+xml")
        if fmt == "news":
            name = os.path.basename(rest)
            try:
                with open(os.path.join(HERE, "fixtures", "news", name), "rb") as fh:
                    data = fh.read()
            except OSError:
                return self.send(404, "no such feed", "text/plain")
            return self.send(200, data, "application/xml")
        handler = FORMATS.get(fmt)
        if handler is None:
            return self.send(404, '{"msg":"unknown format"}')
        try:
            body = handler(rest, q, active)
        except (KeyError, ValueError, IndexError) as e:
            return self.send(400, json.dumps({"msg": "bad request: %r" % (e,)}))
        if body is None:
            return self.send(400, '{"message":"granularity too small for the requested time range"}')
        if "badjson" in active:
            body = body[: len(body) // 2]
        if "trunc" in active:
            data = body.encode()
            self.send(200, data[: len(data) // 2], length=len(data))
            self.close_connection = True
            return
        self.send(200, body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    """usage: fixture_server.py PORT [BARS_CSV]  (default test/fixtures/feed_bars.csv)"""
    port = int(sys.argv[1])
    load(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "fixtures", "feed_bars.csv"))
    srv = Server(("127.0.0.1", port), Handler)
    print("fixture server on 127.0.0.1:%d" % port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
