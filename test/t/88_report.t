#!/bin/bash
# Issue 8, report: ap_report(symbol) is one self-contained HTML document.
# Headless Chromium (Debian's chromium) renders it: no console message (a
# fetch the Content-Security-Policy blocks, a script, a parse error all log
# one), no element that loads anything, text from data escaped, and each
# chart has as many drawn points as the tables say it should.  The checker
# is shown to catch a broken document too.  Own cluster (feeds_lib.sh).
. "$(dirname "$0")/feeds_lib.sh"
command -v chromium >/dev/null || { echo "1..0 # SKIP chromium is not installed (test/bin/deps.sh installs it)"; exit 0; }
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
qs() { PGOPTIONS="-c client_min_messages=error" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres \
	-v ON_ERROR_STOP=1 -c '\set VERBOSITY sqlstate' -c "$1" 2>&1; }
export HOME=$WORK

# render FILE: the DOM Chromium built, in FILE.dom; its console lines in FILE.console
render() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/chrome" \
		--enable-logging=stderr --v=0 --dump-dom "file://$1" >"$1.dom" 2>"$1.err"
	grep ':CONSOLE' "$1.err" >"$1.console" || true
}
# charts FILE.dom: per chart "name drawn declared": drawn = polyline points + circles + bars in the DOM
charts() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.cur = None; self.out = []
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.cur = [a.get("data-chart"), 0, int(a.get("data-points"))]; self.out.append(self.cur)
        elif self.cur and tag == "polyline":
            self.cur[1] += len((a.get("points") or "").split())
        elif self.cur and tag == "circle":
            self.cur[1] += 1
        elif self.cur and tag == "rect" and "bar" in (a.get("class") or "").split():
            self.cur[1] += 1
    def handle_endtag(self, tag):
        if tag == "svg": self.cur = None
p = P(); p.feed(open(sys.argv[1]).read())
for name, drawn, declared in p.out: print(name, drawn, declared)
PY
}
# loaders FILE.dom: elements and attributes of the DOM that would fetch or run something
loaders() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
bad = []
class P(HTMLParser):
    def handle_starttag(self, tag, a):
        if tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "audio", "video", "source", "base", "form"):
            bad.append(tag)
        bad.extend(f"{tag}@{k}" for k, v in a if k in ("src", "href", "xlink:href", "srcset", "action", "background", "poster")
                   or k.startswith("on") or (k == "style" and "url(" in (v or "")))
P().feed(open(sys.argv[1]).read())
print(" ".join(bad))
PY
}

q "CREATE EXTENSION alphapulse" >/dev/null
qf -c "\\copy alphapulse.assets (symbol, description, bar_interval) FROM '$TOP/test/data/regime_assets.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
q "CREATE TABLE rb (symbol text, ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume numeric)" >/dev/null
qf -c "\\copy rb FROM '$TOP/test/data/regime_bars.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
q "INSERT INTO alphapulse.bars SELECT * FROM rb WHERE ts < '2022-06-01'" >/dev/null

is "$(qs "SELECT ap_report('nosuch')")" "ERROR:  42704" "unknown symbol: 42704"
is "$(qs "SELECT ap_report('syn', 1)")" "ERROR:  22023" "bars out of range: 22023"
is "$(qs "SELECT ap_report('syn', 720, 0)")" "ERROR:  22023" "explain_rows out of range: 22023"
is "$(qs "SELECT ap_report(NULL)")" "ERROR:  22004" "null symbol: 22004"
is "$(q "SELECT alphapulse.html_escape('<a href=\"x\">&''</a>')")" "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;" "html_escape: the five characters"

# no champion yet: the report still renders, saying so
q "SELECT ap_report('syn')" >"$WORK/empty.html"
render "$WORK/empty.html"
is "$(wc -l <"$WORK/empty.html.console")" 0 "without a champion: renders without a console message"
like "$(cat "$WORK/empty.html.dom")" "No champion" "... and says there is no champion"

q "SELECT ap_train('syn', 'fast')" >/dev/null
# thresholds at 0.5: every bar a BUY or a SELL, so the price chart has markers
q "SELECT ap_score('syn', '-infinity', 0.5, 0.5)" >/dev/null
# hostile text from data: a feed's error and a run message
q "SELECT ap_add_feed('syn_feed', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines', 'syn')" >/dev/null
q "UPDATE alphapulse.feeds SET last_error = '<script>document.title=\"pwned\"</script>', last_error_at = now() WHERE name = 'syn_feed'" >/dev/null
q "INSERT INTO alphapulse.feed_runs (feed, started, finished, url, http_status, rows_landed, message, via)
   VALUES ('syn_feed', now(), now(), 'http://127.0.0.1:9/x', 500, 0, '<img src=\"http://127.0.0.1:9/x.png\" onerror=\"x()\">&amp;', 'now')" >/dev/null

q "SELECT ap_report('syn')" >"$WORK/report.html"
like "$(head -c 15 "$WORK/report.html")" "^<!DOCTYPE html>" "ap_report returns an HTML document"
render "$WORK/report.html"
is "$(cat "$WORK/report.html.console")" "" "Chromium renders it without a console message"
like "$(cat "$WORK/report.html.dom")" "<h1>AlphaPulse report: syn</h1>" "the DOM Chromium built has the report"
is "$(loaders "$WORK/report.html.dom")" "" "no script, link, image, frame or src/href attribute: nothing is fetched"
like "$(cat "$WORK/report.html")" "<td>&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;</td>" "a feed's error is escaped"
like "$(cat "$WORK/report.html")" "<td>&lt;img src=&quot;http://127.0.0.1:9/x.png&quot; onerror=&quot;x\(\)&quot;&gt;&amp;amp;</td>" "a run message is escaped"
is "$(grep -c 'pwned' "$WORK/report.html.dom") $(grep -o '<title>[^<]*' "$WORK/report.html.dom")" "1 <title>AlphaPulse report: syn" "... and stays text in the DOM (the title is untouched)"

# the expected number of points of each chart, from the tables
champ=$(q "SELECT model_id FROM alphapulse.champions WHERE symbol = 'syn'")
exp_price=$(q "SELECT (SELECT count(*) FROM (SELECT 1 FROM alphapulse.bars WHERE symbol = 'syn' ORDER BY ts DESC LIMIT 720) b)
	+ (SELECT count(*) FROM alphapulse.signals s WHERE s.model_id = $champ AND s.signal IN ('BUY', 'SELL')
	   AND s.ts >= (SELECT min(ts) FROM (SELECT ts FROM alphapulse.bars WHERE symbol = 'syn' ORDER BY ts DESC LIMIT 720) b))")
exp_learning=$(q "SELECT sum(jsonb_array_length(c->'train') + jsonb_array_length(c->'valid')) FROM alphapulse.models m JOIN alphapulse.runs r ON r.id = m.run_id, jsonb_array_elements(r.learning_curves) c WHERE m.id = $champ")
exp_importance=$(q "SELECT least(20, cardinality(feature_names)) FROM alphapulse.models WHERE id = $champ")
exp_shap=$(q "SELECT cardinality(feature_names) + 1 FROM alphapulse.models WHERE id = $champ")
got=$(charts "$WORK/report.html.dom")
echo "$got" | sed 's/^/# /'
for c in price learning importance shap; do
	want=$(eval echo "\$exp_$c")
	is "$(echo "$got" | awk -v c="$c" '$1 == c { print $2 " " $3 }')" "$want $want" "chart $c: $want points drawn and declared"
done
if [ "$(q "SELECT to_regproc('ap_backtest_equity') IS NOT NULL")" = t ]; then
	exp=$(q "SELECT 2 * count(*) FROM ap_backtest_equity('syn', $champ)")
	is "$(echo "$got" | awk '$1 == "equity" { print $2 " " $3 }')" "$exp $exp" "chart equity: strategy and buy-and-hold, one point per bar each"
else
	echo "# ap_backtest_equity not merged yet: equity chart not checked"
fi
if [ "$(q "SELECT to_regproc('ap_drift') IS NOT NULL")" = t ]; then
	rep=$(q "SELECT ap_drift('syn', '2022-05-01')")
	q "SELECT ap_report('syn')" >"$WORK/drift.html"
	render "$WORK/drift.html"
	is "$(cat "$WORK/drift.html.console")" "" "with a drift report: no console message"
	exp=$(q "SELECT count(*) FROM alphapulse.drift_features WHERE report_id = $rep")
	is "$(charts "$WORK/drift.html.dom" | awk '$1 == "drift" { print $2 " " $3 }')" "$exp $exp" "chart drift: one bar per feature of the report"
else
	echo "# ap_drift not merged yet: drift chart not checked"
fi
is "$(grep -o '<table id="leaderboard" data-rows="[0-9]*"' "$WORK/report.html.dom")" \
	"<table id=\"leaderboard\" data-rows=\"$(q "SELECT count(*) FROM alphapulse.models WHERE symbol = 'syn'")\"" "the leaderboard lists every model of the symbol"

if [ "$(q "SELECT to_regclass('alphapulse.model_events') IS NOT NULL")" = t ]; then
	is "$(grep -o '<table id="events" data-rows="[0-9]*"' "$WORK/report.html.dom")" \
		"<table id=\"events\" data-rows=\"$(q "SELECT least(50, count(*)) FROM alphapulse.model_events WHERE symbol = 'syn'")\"" "the model events of the symbol are listed"
fi

# the checker catches a broken document: a fetch, and a chart that lies about its points
sed -e 's|</body>|<img src="http://127.0.0.1:9/leak.png"></body>|' -e '0,/data-points="[0-9]*"/s//data-points="1"/' \
	"$WORK/report.html" >"$WORK/broken.html"
render "$WORK/broken.html"
like "$(cat "$WORK/broken.html.console")" "Content Security Policy" "the console check sees a blocked fetch"
like "$(loaders "$WORK/broken.html.dom")" "^img img@src$" "the loader check sees the image"
is "$(charts "$WORK/broken.html.dom" | awk '$1 == "price" { print ($2 == $3) }')" 0 "the point count check sees a wrong count"
done_testing
