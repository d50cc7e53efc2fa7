#!/usr/bin/env python3
"""Headlines per second of the obvious pure-Python alternative: a dict of the
same lexicon (src/sentiment_lexicon.tsv, general and finance words, no rules)
and a sum of word weights normalised like ap_sentiment.  NLTK's VADER is not
usable here: Debian packages python3-nltk but not its vader_lexicon data."""
import math
import sys
import time

lex = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or line.startswith("version"):
        continue
    term, weight, kind = line.rstrip("\n").split("\t")
    if kind in ("general", "finance") and " " not in term:
        if kind == "finance" or term not in lex:
            lex[term] = float(weight)
heads = [l.rstrip("\n").split("\t", 1)[1] for l in open(sys.argv[2], encoding="utf-8")]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 100
strip = ".,;:!?\"'()"
t0 = time.perf_counter()
sink = 0.0
for _ in range(rounds):
    for h in heads:
        s = sum(lex.get(w.strip(strip).lower(), 0.0) for w in h.split())
        sink += s / math.sqrt(s * s + 15) if s else 0.0
t1 = time.perf_counter()
print("%.0f" % (len(heads) * rounds / (t1 - t0)))
