# AlphaPulse - PGXS build for PostgreSQL 15.
#
#   make demo     install deps, build, start a demo cluster, load sample data
#   make test     install deps, build with -Werror, run pg_regress + pgTAP
#   make bench    benchmarks (bench/run.sh)
#
# The file parses without postgresql-server-dev-15 so that `make test` and
# `make demo` can install it first on a fresh machine.

MODULE_big = alphapulse
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))
EXTENSION = alphapulse
DATA = $(wildcard sql/alphapulse--*.sql)

# pg_regress: every sql/*.sql that is not an install/upgrade script.
REGRESS = $(sort $(basename $(notdir $(filter-out sql/alphapulse--%,$(wildcard sql/*.sql)))))

# Warnings go in PG_CFLAGS (gcc only), not PG_CPPFLAGS, so the clang bitcode
# build for JIT does not get -Werror.  PostgreSQL 15 headers trip
# -Wunused-parameter (inline functions and PG_FUNCTION_ARGS); nothing else
# in -Wextra fires on them (checked against the common server headers).
PG_CPPFLAGS = -Isrc -I/usr/include/libxml2
PG_CFLAGS = -std=gnu99 -fno-math-errno -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK = -lm -lxgboost -lcurl -lxml2

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# Fresh machine: only the script-driven targets below work until deps are in.
all install installcheck:
	@echo "postgresql-server-dev-15 is not installed: run 'make test' or 'make demo'," >&2
	@echo "or test/bin/deps.sh, which install it" >&2
	@exit 1
endif

.PHONY: test demo demo-stop bench

# PGXS does not track headers: rebuild every object when any header changes.
$(OBJS): $(wildcard src/*.h)

test:
	test/bin/test.sh

demo:
	test/bin/demo.sh

demo-stop:
	test/bin/cluster.sh destroy /tmp/alphapulse-demo 54329

bench:
	bench/run.sh
	bench/feeds.sh
	bench/models.sh
