#!/usr/bin/env python3
"""Per-script latency of a pgbench run from its transaction logs (-l).

    latency.py DURATION_S NAME... -- LOGFILE...

Log lines (pgbench 15): client_id transaction_no time script_no time_epoch
time_us [schedule_lag] [retries]; time is in microseconds, or "failed" /
"skipped".  NAME i is script number i.  Prints one row per script.
"""
import sys


def pct(sorted_us, p):
    if not sorted_us:
        return float('nan')
    k = min(len(sorted_us) - 1, max(0, int(round(p / 100.0 * len(sorted_us) + 0.5)) - 1))
    return sorted_us[k]


def main():
    args = sys.argv[1:]
    sep = args.index('--')
    duration = float(args[0])
    names = args[1:sep]
    lat = {i: [] for i in range(len(names))}
    failed = {i: 0 for i in range(len(names))}
    first = last = None
    last_by_client = {}
    for path in args[sep + 1:]:
        with open(path) as fh:
            for line in fh:
                f = line.split()
                if len(f) < 4:
                    continue
                s = int(f[3])
                end = int(f[4]) + int(f[5]) / 1e6
                first = end if first is None else min(first, end)
                last = end if last is None else max(last, end)
                last_by_client[f[0]] = max(last_by_client.get(f[0], 0), end)
                if f[2] in ('failed', 'skipped'):
                    failed[s] = failed.get(s, 0) + 1
                else:
                    lat.setdefault(s, []).append(int(f[2]))
    window = (last - first) if first is not None and last > first else duration
    late = sum(1 for t in last_by_client.values() if last is not None and last - t < 5)
    print('transactions ended over %.1f s of the %.0f s run; %d of %d clients were still running in its last 5 s'
          % (window, duration, late, len(last_by_client)))
    duration = window
    print('%-12s %8s %7s %8s %10s %10s %10s %10s' %
          ('script', 'xacts', 'failed', 'tps', 'avg ms', 'p50 ms', 'p99 ms', 'max ms'))
    total = 0
    for i, name in enumerate(names):
        v = sorted(lat.get(i, []))
        total += len(v)
        avg = sum(v) / len(v) / 1000.0 if v else float('nan')
        print('%-12s %8d %7d %8.2f %10.1f %10.1f %10.1f %10.1f' %
              (name, len(v), failed.get(i, 0), len(v) / duration, avg,
               pct(v, 50) / 1000.0, pct(v, 99) / 1000.0, (v[-1] / 1000.0) if v else float('nan')))
    print('%-12s %8d %7d %8.2f' % ('all', total, sum(failed.values()), total / duration))


if __name__ == '__main__':
    main()
