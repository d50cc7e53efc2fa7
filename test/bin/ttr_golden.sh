#!/usr/bin/env bash
# The TTR reference values test/10_golden_ttr.sql checks against, generated at
# test time (not committed: 13 MB) by test/fixtures/gen_ttr.R with a pinned TTR,
# then checked against the committed SHA-256 (test/fixtures/ttr_golden.sha256).
#   test/bin/ttr_golden.sh            prints the path of the verified file
# Output: build/cache/ttr_golden.csv (under the checkout, git-ignored; the
# test's \copy reads that path); regenerated only when missing or when its
# checksum does not match.  Needs Rscript and Debian's r-cran-ttr (test/bin/deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned reference: TTR's own version (the Debian package r-cran-ttr
# 0.24.3-1 on bookworm).  Another TTR may round differently in the last digit.
TTR_PINNED=0.24.3
cache=build/cache
out=$cache/ttr_golden.csv
sums=test/fixtures/ttr_golden.sha256

verified() { [ -f "$out" ] && (cd "$cache" && sha256sum --quiet --check "$OLDPWD/$sums" >/dev/null 2>&1); }

if verified; then echo "$out"; exit 0; fi
rm -f "$out"	# a stale or damaged copy must not be loaded

command -v Rscript >/dev/null || {
	echo "ttr_golden.sh: Rscript not found: install r-base-core and r-cran-ttr (test/bin/deps.sh)" >&2; exit 1; }
have=$(Rscript -e 'cat(tryCatch(as.character(packageVersion("TTR")), error = function(e) "none"))' 2>/dev/null || echo none)
if [ "$have" != "$TTR_PINNED" ]; then
	echo "ttr_golden.sh: the golden values are pinned to R package TTR $TTR_PINNED (Debian r-cran-ttr 0.24.3-1), but TTR '$have' is installed;" >&2
	echo "ttr_golden.sh: install that version (apt-get install r-cran-ttr on Debian 12) or regenerate and review test/fixtures/ttr_golden.sha256" >&2
	exit 1
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/ttr-gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
Rscript test/fixtures/gen_ttr.R "$tmp" >"$tmp/gen.log" 2>&1 || {
	echo "ttr_golden.sh: gen_ttr.R failed:" >&2; tail -n 20 "$tmp/gen.log" >&2; exit 1; }
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
# The bars it computed on must be the committed ones the test loads.
cmp -s "$tmp/ttrc.csv" test/fixtures/ttrc.csv || {
	echo "ttr_golden.sh: generated ttrc.csv differs from test/fixtures/ttrc.csv" >&2; exit 1; }
if ! (cd "$tmp" && sha256sum --quiet --check "$OLDPWD/$sums") >&2; then
	echo "ttr_golden.sh: generated ttr_golden.csv does not match $sums (got $(sha256sum "$tmp/ttr_golden.csv" | cut -d' ' -f1))" >&2
	exit 1
fi
mv "$tmp/ttr_golden.csv" "$out"
printf 'ttr_golden.sh: generated %s with TTR %s in %.1f s, SHA-256 verified\n' "$out" "$have" "$secs" >&2
echo "$out"
