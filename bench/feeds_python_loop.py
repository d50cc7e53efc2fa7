#!/usr/bin/python3
"""The Airflow-style alternative for bench/feeds.sh: fetch binance kline pages
with urllib, parse them with json, insert each page with psycopg2
(execute_values, ON CONFLICT DO NOTHING) and commit per page.
usage: feeds_python_loop.py <base url> <start ms> <end ms> <page size> <dsn> <symbol>"""
import json
import sys
import urllib.request

import psycopg2
import psycopg2.extras


def main():
    base, start, end, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    dsn, symbol = sys.argv[5], sys.argv[6]
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    total = 0
    while start < end:
        with urllib.request.urlopen("%s&startTime=%d&limit=%d" % (base, start, limit)) as r:
            page = [k for k in json.loads(r.read()) if k[0] < end]
        if page:
            rows = [(symbol, k[0], k[1], k[2], k[3], k[4], k[5]) for k in page]
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume) VALUES %s"
                " ON CONFLICT (symbol, ts) DO NOTHING",
                rows,
                template="(%s, to_timestamp(%s::bigint / 1000), %s::numeric, %s::numeric, %s::numeric,"
                         " %s::numeric, %s::numeric)",
                page_size=len(rows))
            conn.commit()
            total += len(rows)
            start = page[-1][0] + 1
        if len(page) < limit:
            break
    print(total)


if __name__ == "__main__":
    main()
