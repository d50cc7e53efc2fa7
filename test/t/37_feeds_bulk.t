#!/bin/bash
# A page of new bars lands by the bulk path (src/bulk_insert.c): the bars are
# the fixture's text exactly; a page racing another writer of one of its
# bars (a unique violation, after waiting for that writer) falls back to the
# upsert: the page lands whole, the feed's values win, nothing fails.  (The
# foreign key checked once is test 55's, on ap_score's signals.)
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
q "CREATE EXTENSION alphapulse" >/dev/null
q "INSERT INTO alphapulse.assets (symbol) VALUES ('eth')" >/dev/null
load_fixture_table
URL="$HTTP/ok/binance/api/v3/klines?symbol=ETHUSDT&interval=1h"
q "SELECT ap_add_feed('fb', 'price', 'binance', '$URL', 'eth', '{\"start\": \"2021-01-01\", \"page_size\": 1000}')" >/dev/null
# ingest with the DEBUG lines that name each page's path
ingest() { PGOPTIONS="-c client_min_messages=debug1" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" \
	-U postgres -d postgres -c "SELECT rows_landed || ' ' || ok FROM ap_ingest_now('fb')" 2>&1; }

out=$(ingest)
like "$out" $'\n8760 true$' "a backfill lands every bar"
is "$(grep -c 'bars by bulk insert' <<<"$out")" 9 "every page of new bars took the bulk path"
is "$(grep -c 'bars by upsert' <<<"$out")" 0 "and none the upsert"
is "$(bars_diff eth)" 0 "the bars equal the fixture text exactly"

# the race: another session inserts a bar of the second page and commits while
# the feed's bulk insert waits on it
q "DELETE FROM alphapulse.bars; UPDATE alphapulse.feeds SET cursor_ts = NULL" >/dev/null
RACE="'2021-02-15 00:00Z'"
q "BEGIN; INSERT INTO alphapulse.bars VALUES ('eth', $RACE, 1, 1, 1, 1, 1);
	DO \$\$ BEGIN
		FOR i IN 1 .. 60000 LOOP	-- up to 10 min, a bound only: it ends when the feed waits
			EXIT WHEN EXISTS (SELECT FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%ap_ingest_now%');
			PERFORM pg_sleep(0.01);
			PERFORM pg_stat_clear_snapshot();	-- else the transaction sees one snapshot of the activity
		END LOOP;
	END \$\$; COMMIT" >"$WORK/race.out" &
RACER=$!
wait_for 30 "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'BEGIN; INSERT INTO alphapulse.bars%' AND state = 'active' AND xact_start IS NOT NULL AND backend_xid IS NOT NULL)" \
	|| echo "# the racing insert did not start"
out=$(ingest)
wait "$RACER"
like "$out" $'\n8760 true$' "the feed lands every bar although a bar was inserted meanwhile"
is "$(grep -c 'bars by upsert' <<<"$out")" 1 "the raced page fell back to the upsert"
is "$(grep -c 'bars by bulk insert' <<<"$out")" 8 "the other pages took the bulk path"
is "$(bars_diff eth)" 0 "the feed's values replaced the racing bar's"
is "$(q "SELECT count(*) FROM alphapulse.feed_runs WHERE feed = 'fb' AND message IS NOT NULL")" 0 "no failed attempt"

done_testing
