#!/usr/bin/python3
"""SYNTHETIC news headlines for the AlphaPulse demo -- NOT real news.

Generates an RSS 2.0 feed of made-up headlines about the sample series of
test/data/sample_bars.csv (btc, eth; hourly, 2021-2023), one item per bar with
probability ITEM_RATE, published at a random minute inside that bar.

The relation to prices is deliberate, modest and documented: the generator
looks AHEAD at the sample bars.  The tone of an item published in bar i leans
towards the sign of the log return from close[i] to close[i + LEAD] (the next
LEAD bars): positive with probability BASE + TILT and negative with BASE - TILT
when that return is up, the other way round when it is down, neutral otherwise
(1 - 2 * BASE).  So news sentiment carries a little information about the next
few bars -- enough that a model with news features can do a little better than
one without on this synthetic data, which says nothing about real markets.

Each headline names its asset ("Bitcoin", "Ethereum"), so the feed's keyword
map tags it with the symbol.  Standard library only and seeded: the output is
deterministic for a given bars file.

    /usr/bin/python3 test/data/gen_news.py [BARS_CSV] > news.xml

The fixture server (test/fixture_server.py) serves the same feed at
/ok/gennews/rss.xml, generated from the bars file it was started with.
"""
import csv
import datetime as dt
import math
import os
import random
import sys
from xml.sax.saxutils import escape

SEED = 20210102
ITEM_RATE = 1 / 6     # items per bar and symbol
LEAD = 3              # bars ahead whose return tilts the tone
BASE = 0.30           # probability of a positive (and of a negative) item
TILT = 0.12           # shift towards the sign of the next LEAD bars' return

NAMES = {"btc": "Bitcoin", "eth": "Ethereum"}
KEYWORDS = {"bitcoin": "btc", "ethereum": "eth"}

POSITIVE = [
    "{n} rallies as ETF inflows surge",
    "{n} surges to a fresh all-time high",
    "Analysts upgrade {n} outlook on strong adoption",
    "{n} jumps as a short squeeze lifts prices",
    "Institutional demand boosts {n}",
    "{n} network upgrade wins praise from developers",
    "{n} climbs after record inflows",
]
NEGATIVE = [
    "{n} plunges after exchange hack",
    "{n} slides as regulators file lawsuit",
    "Liquidations hit {n} traders as price drops",
    "{n} falls after exploit drains funds",
    "Exchange to delist {n} pairs as prices tumble",
    "Insolvency fears weigh on {n} lenders",
    "{n} sinks as selling pressure mounts",
]
NEUTRAL = [
    "{n} trades sideways ahead of Fed meeting",
    "{n} developers publish quarterly report",
    "What to watch for {n} this week",
    "{n} open interest little changed",
    "{n} foundation announces conference dates",
    "{n} block times steady, data shows",
]

HERE = os.path.dirname(os.path.abspath(__file__))


def load_bars(path):
    """symbol -> list of (datetime, close as float), oldest first."""
    series = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            t = dt.datetime.strptime(row["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            series.setdefault(row["symbol"], []).append((t, float(row["close"])))
    for rows in series.values():
        rows.sort()
    return series


def generate(path):
    """The items, oldest first: dicts with guid, title, published, tone."""
    rng = random.Random(SEED)
    items = []
    for sym, rows in sorted(load_bars(path).items()):
        name = NAMES.get(sym, sym.upper())
        for i, (t, close) in enumerate(rows):
            if rng.random() >= ITEM_RATE:
                continue
            fwd = math.log(rows[min(i + LEAD, len(rows) - 1)][1] / close)
            up = 1 if fwd > 0 else -1 if fwd < 0 else 0
            u = rng.random()
            p_pos = BASE + TILT * up
            p_neg = BASE - TILT * up
            tone, pool = ((1, POSITIVE) if u < p_pos else
                          (-1, NEGATIVE) if u < p_pos + p_neg else (0, NEUTRAL))
            title = rng.choice(pool).format(n=name)
            published = t + dt.timedelta(minutes=rng.randrange(60))
            items.append({"guid": "gennews-%s-%d" % (sym, i), "title": title,
                          "published": published, "tone": tone})
    items.sort(key=lambda x: (x["published"], x["guid"]))
    return items


def rfc822(t):
    """RFC 822 date in English whatever the locale."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return "%s, %02d %s %d %02d:%02d:%02d GMT" % (days[t.weekday()], t.day, months[t.month - 1],
                                                   t.year, t.hour, t.minute, t.second)


def rss(items):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0"><channel><title>AlphaPulse synthetic news</title>',
           '<link>http://127.0.0.1/gennews</link>',
           '<description>SYNTHETIC headlines (test/data/gen_news.py), not real news</description>']
    for it in items:
        out.append("<item><title>%s</title><guid>%s</guid><pubDate>%s</pubDate></item>" % (
            escape(it["title"]), it["guid"],
            rfc822(it["published"])))
    out.append("</channel></rss>")
    return "\n".join(out) + "\n"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "sample_bars.csv")
    sys.stdout.write(rss(generate(path)))


if __name__ == "__main__":
    main()
