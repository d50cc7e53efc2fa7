#!/usr/bin/env bash
# make deb: build the Debian package postgresql-15-alphapulse with
# dpkg-buildpackage -us -uc -b (debian/, pg_buildext) from a copy of this
# checkout, so the checkout stays clean.  Installs the build dependencies
# debian/control names when some are missing (root or sudo).
# AP_DEB_DIR (default /tmp/alphapulse-deb) receives the copy and the packages;
# the last line printed is the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${AP_DEB_DIR:-/tmp/alphapulse-deb}

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# dpkg-parsechangelog and dpkg-checkbuilddeps come with dpkg-dev
dpkg -s dpkg-dev >/dev/null 2>&1 || "${sudo[@]}" apt-get install -y -q --no-install-recommends dpkg-dev
if ! dpkg-checkbuilddeps 2>/dev/null; then
	# apt reads the Build-Depends of a local source tree
	"${sudo[@]}" apt-get install -y -q --no-install-recommends build-essential
	"${sudo[@]}" apt-get build-dep -y -q --no-install-recommends ./
fi

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
src=$out/alphapulse-${version%-*}
if [[ $out != /tmp/?* || $out == *..* ]]; then
	echo "deb.sh: AP_DEB_DIR must be a path under /tmp (got $out)" >&2
	exit 2
fi
rm -rf "$out"
# the copy goes one level down: dpkg-buildpackage writes the packages next to it
test/bin/copy-tree.sh "$src"

echo "make deb: building in $src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${AP_DEB_JOBS:-2}" nice dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	echo "make deb: dpkg-buildpackage failed; last lines of $out/build.log:" >&2
	tail -n 40 "$out/build.log" >&2
	exit 1
}
for pkg in $(sed -n 's/^Package: //p' debian/control); do
	deb=$out/${pkg}_${version}_${arch}.deb
	[ -f "$deb" ] || { echo "make deb: $deb was not built" >&2; exit 1; }
	echo "$pkg $version: $(stat -c %s "$deb") bytes, installed size $(dpkg-deb -f "$deb" Installed-Size) KiB"
	echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
done
echo "build log: $out/build.log"
echo "$deb"
