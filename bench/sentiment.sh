#!/bin/bash
# bench/sentiment.sh - speed of news sentiment: headlines scored per second by
# the C scorer alone, by ap_sentiment in SQL (one backend, one core), by a
# pure-Python dict-lookup scorer (the obvious alternative; NLTK's VADER is not
# available from Debian, see bench/sentiment_python.py), and the cost of
# scoring at landing time per news item (INSERT of NEWS rows with the
# news_score trigger enabled vs disabled, as one statement and as one
# statement per row like the feed worker).  Medians of RUNS runs.
#   PGBIN (default /usr/lib/postgresql/15/bin), RUNS (5), NEWS (20000),
#   COPIES (300: the 324 labelled headlines repeated, ~97k rows),
#   SENT_PG_PORT (a free port, test/bin/cluster.sh free-port)
set -e
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUNS=${RUNS:-5}
NEWS=${NEWS:-20000}
COPIES=${COPIES:-300}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PORT=${SENT_PG_PORT:-$("$TOP/test/bin/cluster.sh" free-port)}
HEAD=$TOP/test/fixtures/sentiment/headlines.tsv
W=$(mktemp -d /tmp/sentiment-bench.XXXXXX)
chmod 755 "$W"
trap 'PGBIN=$PGBIN "$TOP/test/bin/cluster.sh" destroy "$W/pg" "$PORT" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# C scorer alone
make -s -C "$TOP" src/sentiment_lexicon.h
cc -std=gnu99 -O2 -I"$TOP/src" -o "$W/sentiment_c" "$TOP/bench/sentiment_c.c" "$TOP/src/sentiment.c" -lm
c_rate=$(for _ in $(seq "$RUNS"); do "$W/sentiment_c" "$HEAD" 1000; done | median)
py_rate=$(for _ in $(seq "$RUNS"); do python3 "$TOP/bench/sentiment_python.py" "$TOP/src/sentiment_lexicon.tsv" "$HEAD" 100; done | median)

# SQL: a throwaway cluster with the installed extension
PGBIN=$PGBIN "$TOP/test/bin/cluster.sh" start "$W/pg" "$PORT" bench >/dev/null
Q() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$PORT" -U postgres -d bench -v ON_ERROR_STOP=1 "$@"; }
Q -c "CREATE EXTENSION alphapulse" -c "CREATE TABLE h (label text, headline text)"
Q -c "\\copy h FROM '$HEAD'"
Q <<SQL
CREATE TABLE hb AS SELECT headline FROM h, generate_series(1, $COPIES);
VACUUM ANALYZE hb;
-- seconds for a query (the result is discarded)
CREATE FUNCTION secs(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0); END \$\$;
-- one-row-per-statement inserts, like the feed worker's prepared INSERT
CREATE FUNCTION land_rows(n int, tag text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); r record; i int := 0;
BEGIN
	FOR r IN SELECT headline FROM hb LIMIT n LOOP
		i := i + 1;
		INSERT INTO alphapulse.news (guid, feed, title, summary) VALUES (tag || i, 'bench', r.headline, '<p>' || r.headline || ' &amp; more</p>');
	END LOOP;
	RETURN extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SQL
rows=$(Q -c "SELECT count(*) FROM hb")
sql_rate() {
	for _ in $(seq "$RUNS"); do
		Q -c "SELECT $rows / (secs('SELECT sum((ap_sentiment(headline)).compound) FROM hb') - secs('SELECT sum(length(headline)) FROM hb'))"
	done | median
}
sql_total() {
	for _ in $(seq "$RUNS"); do
		Q -c "SELECT $rows / secs('SELECT sum((ap_sentiment(headline)).compound) FROM hb')"
	done | median
}
s_net=$(sql_rate)
s_tot=$(sql_total)
# landing: microseconds per item, trigger on minus trigger off
land() {  # $1 ENABLE|DISABLE, $2 bulk|rows
	for i in $(seq "$RUNS"); do
		Q -c "TRUNCATE alphapulse.news" -c "ALTER TABLE alphapulse.news $1 TRIGGER news_score" >/dev/null
		if [ "$2" = bulk ]; then
			Q -c "SELECT 1e6 * secs(\$q\$INSERT INTO alphapulse.news (guid, feed, title, summary) SELECT 'b' || row_number() OVER (), 'bench', headline, '<p>' || headline || ' &amp; more</p>' FROM hb LIMIT $NEWS\$q\$) / $NEWS"
		else
			Q -c "SELECT 1e6 * land_rows($NEWS, 'r') / $NEWS"
		fi
	done | median
}
on_bulk=$(land ENABLE bulk); off_bulk=$(land DISABLE bulk)
on_rows=$(land ENABLE rows); off_rows=$(land DISABLE rows)
Q -c "ALTER TABLE alphapulse.news ENABLE TRIGGER news_score" >/dev/null

printf 'News sentiment, %s headlines (%s labelled x %s), medians of %s runs, one core:\n' "$rows" "$(wc -l < "$HEAD")" "$COPIES" "$RUNS"
printf '  C scorer alone:                      %12.0f headlines/s\n' "$c_rate"
printf '  ap_sentiment in SQL (net of scan):   %12.0f headlines/s\n' "$s_net"
printf '  ap_sentiment in SQL (with the scan): %12.0f headlines/s\n' "$s_tot"
printf '  Python dict lookup, no rules:        %12.0f headlines/s  (C scorer is %.1fx)\n' "$py_rate" "$(echo "$c_rate / $py_rate" | bc -l)"
printf 'Landing %s news rows (title + HTML summary):\n' "$NEWS"
printf '  one INSERT ... SELECT:  %7.2f us/item with the trigger, %7.2f without: +%.2f us/item\n' "$on_bulk" "$off_bulk" "$(echo "$on_bulk - $off_bulk" | bc -l)"
printf '  one INSERT per row:     %7.2f us/item with the trigger, %7.2f without: +%.2f us/item\n' "$on_rows" "$off_rows" "$(echo "$on_rows - $off_rows" | bc -l)"
