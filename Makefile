# AlphaPulse - PGXS build for PostgreSQL 15.
#
#   make demo     install deps, build, start a demo cluster, load sample data
#   make test     install deps, build with -Werror, run pg_regress + pgTAP
#   make bench    benchmarks (bench/run.sh)
#   make fuzz     long libFuzzer runs of every harness (test/fuzz)
#
# The file parses without postgresql-server-dev-15 so that `make test` and
# `make demo` can install it first on a fresh machine.

MODULE_big = alphapulse
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))
# the trainer pipe protocol is shared by the backend and the trainer program
OBJS += src/trainer/trainer_proto.o
EXTRA_CLEAN = src/trainer/alphapulse_trainer
EXTENSION = alphapulse

# The version comes from the control file; released scripts are never edited.
# A release's upgrade script is the concatenation of its parts in
# sql/src/upgrade-<version>/, and its install script is the previous install
# script followed by that upgrade, so a fresh install and an upgrade run the
# same statements.
AP_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" alphapulse.control)
AP_PREV_VERSION = 0.1.0
UPGRADE_PARTS = $(sort $(wildcard sql/src/upgrade-$(AP_VERSION)/*.sql))
DATA = $(filter-out $(DATA_built),$(wildcard sql/alphapulse--*.sql))
DATA_built = sql/alphapulse--$(AP_PREV_VERSION)--$(AP_VERSION).sql sql/alphapulse--$(AP_VERSION).sql
# The scale-out layer: extension alphapulse_proxy for the PL/Proxy proxy database.
DATA += sql/proxy/alphapulse_proxy.control $(wildcard sql/proxy/alphapulse_proxy--*.sql)

# pg_regress: every sql/*.sql that is not an install/upgrade script.  Progress
# NOTICE lines (one a second of a long call) would make outputs depend on speed.
REGRESS = $(sort $(basename $(notdir $(filter-out sql/alphapulse--%,$(wildcard sql/*.sql)))))
installcheck: export PGOPTIONS += -c alphapulse.progress_notices=off

# Warnings go in PG_CFLAGS (gcc only), not PG_CPPFLAGS, so the clang bitcode
# build for JIT does not get -Werror.  PostgreSQL 15 headers trip
# -Wunused-parameter (inline functions and PG_FUNCTION_ARGS); nothing else
# in -Wextra fires on them (checked against the common server headers).
PG_CPPFLAGS = -Isrc -I/usr/include/libxml2 -DAP_VERSION='"$(AP_VERSION)"'
PG_CFLAGS = -std=gnu99 -fno-math-errno -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK = -lm -lxgboost -lcurl -lxml2

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
# XGBoost training runs in its own process (src/trainer): a plain C program,
# not part of the module, installed next to alphapulse.so.
TRAINER = src/trainer/alphapulse_trainer
TRAINER_SRCS = src/trainer/alphapulse_trainer.c src/trainer/trainer_proto.c
all: $(TRAINER)
$(TRAINER): $(TRAINER_SRCS) src/trainer/trainer_proto.h
	$(CC) -std=gnu99 -O2 -Wall -Wextra -Werror -o $@ $(TRAINER_SRCS) -lxgboost -lm
install: install-trainer
install-trainer: $(TRAINER)
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_PROGRAM) $(TRAINER) '$(DESTDIR)$(pkglibdir)/alphapulse_trainer'
else
# Fresh machine: only the script-driven targets below work until deps are in.
all install installcheck:
	@echo "postgresql-server-dev-15 is not installed: run 'make test' or 'make demo'," >&2
	@echo "or test/bin/deps.sh, which install it" >&2
	@exit 1
endif

.PHONY: test demo demo-stop bench fuzz install-trainer


# PGXS does not track headers: rebuild every object when any header changes.
$(OBJS): $(wildcard src/*.h) src/trainer/trainer_proto.h alphapulse.control

# The sentiment lexicon is data (src/sentiment_lexicon.tsv); the build turns it
# into the C table, which CREATE EXTENSION copies into alphapulse.sentiment_lexicon.
src/sentiment_lexicon.h: src/sentiment_lexicon.tsv src/sentiment_lexicon.awk
	LC_ALL=C sort -t '	' -k1,1 -k3,3 src/sentiment_lexicon.tsv | awk -f src/sentiment_lexicon.awk > $@.tmp && mv $@.tmp $@
src/sentiment.o src/sentiment_sql.o: src/sentiment_lexicon.h
EXTRA_CLEAN += src/sentiment_lexicon.h

sql/alphapulse--$(AP_PREV_VERSION)--$(AP_VERSION).sql: $(UPGRADE_PARTS) sql/src/upgrade-$(AP_VERSION) alphapulse.control
	{ echo '-- generated from sql/src/upgrade-$(AP_VERSION)/ by make: edit the parts'; \
	  printf '%s\n' '\echo Use "ALTER EXTENSION alphapulse UPDATE TO '"'"'$(AP_VERSION)'"'"'" to load this file. \quit'; \
	  for f in $(UPGRADE_PARTS); do echo "-- BEGIN $$f"; cat $$f; done; } > $@

sql/alphapulse--$(AP_VERSION).sql: sql/alphapulse--$(AP_PREV_VERSION).sql sql/alphapulse--$(AP_PREV_VERSION)--$(AP_VERSION).sql
	cat $^ > $@

test:
	test/bin/test.sh

demo:
	test/bin/demo.sh

demo-stop:
	test/bin/cluster.sh destroy /tmp/alphapulse-demo 54329

# Long fuzzing runs (FUZZ_SECONDS per harness, default 600).
fuzz:
	test/bin/deps.sh
	$(MAKE) -C test/fuzz fuzz

bench:
	bench/run.sh
	bench/feeds.sh
	bench/models.sh
	bench/score.sh
	bench/evaluate.sh
	bench/drift.sh
	bench/schedule.sh
	bench/backtest.sh
	bench/proxy.sh
	bench/stream.sh
	bench/realtime.sh
	bench/models_ops.sh

# The pg_regress suite under valgrind memcheck (10-40 minutes; not in make test).
.PHONY: valgrind load
valgrind:
	test/bin/valgrind.sh

# Load test: pgbench, 32 clients mixing ingest, features, scoring, reads and
# promotions for DURATION seconds (default 300; not in make test).
load:
	bench/load.sh

# Debian package postgresql-15-alphapulse (debian/), built from a copy of the
# tree into AP_DEB_DIR (default /tmp/alphapulse-deb); test-deb installs it into
# the system PostgreSQL (root) and runs the suite against the installed files;
# test-docker builds the images (docker/) with podman and runs the suite, the
# demo and the server in them through podman-compose.  None is in make test.
.PHONY: deb test-deb test-docker
deb:
	test/bin/deb.sh

test-deb:
	test/bin/test-deb.sh

test-docker:
	test/bin/test-docker.sh
