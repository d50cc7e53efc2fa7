#!/usr/bin/env bash
# make test-deb: build the Debian package (test/bin/deb.sh), install it with
# dpkg -i onto this machine's PostgreSQL 15 (as root: this is the one test that
# installs AlphaPulse into the system PostgreSQL, the way production does), and
# run the installcheck suite -- pg_regress, pgTAP and test/t -- against the
# installed files: nothing is built or installed from the sources, the suite
# runs from a fresh copy of them, and dpkg --verify checks before and after
# that every packaged file is the one dpkg unpacked.
# The package stays installed afterwards (remove: dpkg -r postgresql-15-alphapulse).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "test-deb.sh: dpkg -i needs root" >&2; exit 1; }
out=${AP_DEB_DIR:-/tmp/alphapulse-deb}
export AP_DEB_DIR=$out
pgbin=/usr/lib/postgresql/15/bin
pkg=postgresql-15-alphapulse

deb=$(test/bin/deb.sh | tee /dev/stderr | tail -n 1)
version=$(dpkg-deb -f "$deb" Version)

# Depends: the extension's own requirements and what dpkg-shlibdeps found
deps=$(dpkg-deb -f "$deb" Depends)
for d in postgresql-15-cron libxgboost0 libcurl4 libxml2 postgresql-15; do
	case ", $deps," in *", $d "*|*", $d,"*) ;; *) echo "test-deb.sh: $deb does not depend on $d: $deps" >&2; exit 1 ;; esac
done

# The runtime dependencies first (apt resolves them), then the package itself.
test/bin/deps.sh
export DEBIAN_FRONTEND=noninteractive
dpkg -i "$deb" || { apt-get install -y -q -f --no-install-recommends && dpkg -i "$deb"; }
[ "$(dpkg-query -W -f '${Status} ${Version}' "$pkg")" = "install ok installed $version" ] ||
	{ echo "test-deb.sh: $pkg $version is not installed" >&2; exit 1; }

# What the suite loads must be what the package installed.
for f in "$($pgbin/pg_config --pkglibdir)/alphapulse.so" \
	"$($pgbin/pg_config --pkglibdir)/alphapulse_trainer" \
	"$($pgbin/pg_config --sharedir)/extension/alphapulse.control" \
	"$($pgbin/pg_config --sharedir)/extension/alphapulse--$(sed -n "s/^default_version = '\(.*\)'/\1/p" alphapulse.control).sql"; do
	dpkg -S "$f" | grep -q "^$pkg: " || { echo "test-deb.sh: $f is not from $pkg" >&2; exit 1; }
done
[ -x "$($pgbin/pg_config --pkglibdir)/alphapulse_trainer" ] || { echo "test-deb.sh: the trainer is not executable" >&2; exit 1; }
verify() {
	local changed
	changed=$(dpkg --verify "$pkg" || true)
	[ -z "$changed" ] || { echo "test-deb.sh: installed files differ from the package ($1):" >&2; echo "$changed" >&2; exit 1; }
}
verify "before the suite"

suite=$out/suite
test/bin/copy-tree.sh "$suite"
chmod -R a+rX "$suite"
rc=0
(cd "$suite" && AP_TEST_INSTALLED=1 PGBIN=$pgbin test/bin/test.sh) 2>&1 | tee "$out/test.log" || rc=$?
verify "after the suite"
echo "test-deb: $pkg $version ($(stat -c %s "$deb") bytes, installed size $(dpkg-query -W -f '${Installed-Size}' "$pkg") KiB): $(tail -n 1 "$out/test.log")"
exit "$rc"
