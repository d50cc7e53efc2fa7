#!/usr/bin/env bash
# private-pg.sh DIR: a private, relocated copy of the system PostgreSQL 15
# install (binaries, pg_cron, pgTAP, PGXS) under DIR, so several checkouts can
# `make install` and test at once without replacing each other's alphapulse.so.
# Prints the PGBIN to export:  export PGBIN=$(test/bin/private-pg.sh /tmp/pg-x)
set -euo pipefail
dir=${1:?usage: private-pg.sh DIR}
if [ ! -x "$dir/usr/lib/postgresql/15/bin/postgres" ]; then
	mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql"
	cp -a /usr/lib/postgresql/15 "$dir/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$dir/usr/share/postgresql/"
	ln -s /usr/include "$dir/usr/include"	# pg_config --includedir-server is relative too
	chmod -R a+rX "$dir"
fi
# Packages installed after the copy was made (test/bin/deps.sh adds plproxy):
# copy their files in, never overwriting what `make install` put there.
cp -an /usr/lib/postgresql/15/lib/. "$dir/usr/lib/postgresql/15/lib/"
cp -an /usr/share/postgresql/15/extension/. "$dir/usr/share/postgresql/15/extension/"
echo "$dir/usr/lib/postgresql/15/bin"
