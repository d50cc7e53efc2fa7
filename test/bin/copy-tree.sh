#!/usr/bin/env bash
# copy-tree.sh DEST: copy this checkout's sources (tracked and new files, not
# what .gitignore excludes: build products, test output) to DEST, a fresh
# directory under /tmp.  make deb builds from such a copy, so the checkout
# stays clean; make test-deb runs the suite from one, so nothing built in the
# checkout can stand in for the installed package.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=${1:?usage: copy-tree.sh DEST}
if [[ $dest != /tmp/?* || $dest == *..* ]]; then
	echo "copy-tree.sh: DEST must be a path under /tmp (got $dest)" >&2
	exit 2
fi
rm -rf "$dest"
mkdir -p "$dest"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# -c lists tracked files that may have been deleted since: keep what exists
	git ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -c --null -T - | tar -x -C "$dest"
else
	# an unpacked source tarball: it holds no build products unless built
	tar -c --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		--exclude=./results --exclude=./regression.diffs --exclude=./regression.out . |
		tar -x -C "$dest"
fi
