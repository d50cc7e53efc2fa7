#!/usr/bin/env bash
# Install the Debian packages AlphaPulse builds, tests and demos with.
# Cheap when everything is present: dpkg -s only, no network.
set -euo pipefail

pkgs=(build-essential postgresql-15 postgresql-server-dev-15 postgresql-15-cron
      postgresql-15-pgtap postgresql-15-plproxy libtap-parser-sourcehandler-pgtap-perl r-cran-ttr
      python3-pandas python3-psycopg2 python3-numpy python3-scipy
      libxgboost-dev libcurl4-openssl-dev libxml2-dev python3-xgboost python3-sklearn
      clang-14 libfuzzer-14-dev libclang-rt-14-dev valgrind chromium)
# tools the test/t scripts call (curl for the fixture servers, bc for sums)
# that a minimal system, such as the container image, lacks
pkgs+=(curl bc)

missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Root runs apt directly; anyone else needs sudo.
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
