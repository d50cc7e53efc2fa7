#!/usr/bin/env python3
"""Summarise valgrind memcheck logs of a PostgreSQL server running AlphaPulse.

    summarize.py --so alphapulse.so --src src/ [--summary FILE] LOG...

Each LOG is one process's log (valgrind --log-file=DIR/%p.log) written with
--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END.  An error counts
against AlphaPulse when any frame of any of its stacks (the error's own, and
the allocation or origin stacks valgrind adds) is in alphapulse.so - by
object, by one of its source files or by one of its function names - or in
libxgboost or libcurl (only AlphaPulse loads them).  Identical stacks are
reported once with a count.  Exit status 1 when an AlphaPulse error or a
traced process killed by a signal was found, else 0.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

FRAME = re.compile(r'^==\d+==\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*?)(?: \((.*)\))?$')
CRASH = re.compile(r'Process terminating with default action of signal (\d+) \((SIG\w+)\)')
SUMMARY = re.compile(r'ERROR SUMMARY: (\d+) errors from (\d+) contexts \(suppressed: (\d+) from (\d+)\)')
CMDLINE = re.compile(r'^==\d+== Command: (.*)$')
THIRD_PARTY = ('libxgboost', 'libcurl')
# helper programs AlphaPulse installs next to the module (traced with
# VALGRIND_TRACE_EXEC=1)
OUR_PROGRAMS = ('alphapulse_trainer',)
NEW_ABORT = 'should throw an exception, but Valgrind'
FATAL_SIGNALS = {'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT'}


def so_symbols(so):
    """Function names defined in the shared object (static ones too when not stripped)."""
    names = set()
    for args in (['nm', '--defined-only', so], ['nm', '-D', '--defined-only', so]):
        try:
            out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
        except OSError:
            continue
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in 'tTwW':
                names.add(parts[2])
    return names


def source_files(src):
    """Base names of the C sources under src (the module and helper programs)."""
    found = set()
    for _, _, names in os.walk(src):
        found.update(f for f in names if f.endswith(('.c', '.h')))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--so', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--summary')
    ap.add_argument('logs', nargs='*')
    a = ap.parse_args()
    soname = os.path.basename(a.so)
    funcs = so_symbols(a.so)
    files = source_files(a.src)

    def frame_is_ours(func, where):
        where = where or ''
        if soname in where or any(t in where for t in THIRD_PARTY + OUR_PROGRAMS):
            return True
        base = where.split(':')[0].rsplit('/', 1)[-1]
        if base in files and ('/' not in where.split(':')[0] or '/src/' in where):
            return True
        return func in funcs

    processes = 0
    total_errors = suppressed = 0
    crashes = []
    groups = collections.OrderedDict()   # key -> [count, ours, text, pids]
    for path in a.logs:
        try:
            with open(path, errors='replace') as fh:
                lines = fh.read().splitlines()
        except OSError as e:
            print('cannot read %s: %s' % (path, e), file=sys.stderr)
            continue
        processes += 1
        pid = os.path.basename(path).split('.')[0]
        cmd = ''
        block = None
        for line in lines:
            m = CMDLINE.match(line)
            if m and not cmd:
                cmd = m.group(1)
            if 'VALGRINDERROR-BEGIN' in line:
                block = []
                continue
            if 'VALGRINDERROR-END' in line:
                if block is not None:
                    add_block(block, pid, groups, frame_is_ours)
                block = None
                continue
            if block is not None:
                block.append(line)
                continue
            if NEW_ABORT in line:
                # valgrind's operator new cannot throw std::bad_alloc: it ends
                # the process, which the postmaster takes for a crash
                crashes.append((pid, 'abort: operator new failed (std::bad_alloc natively)', cmd))
            m = CRASH.search(line)
            if m and m.group(2) in FATAL_SIGNALS:
                crashes.append((pid, m.group(2), cmd))
            m = SUMMARY.search(line)
            if m:
                total_errors += int(m.group(1))
                suppressed += int(m.group(3))

    ours = [(k, g) for k, g in groups.items() if g[1]]
    others = [(k, g) for k, g in groups.items() if not g[1]]
    out = []
    out.append('valgrind: %d process logs, %d errors reported (%d more suppressed), '
               '%d distinct stacks: %d in AlphaPulse, %d elsewhere; %d traced processes killed by a signal or aborted'
               % (processes, total_errors, suppressed, len(groups), len(ours), len(others), len(crashes)))
    for title, items in (('AlphaPulse errors (fail)', ours),
                         ('Other errors (PostgreSQL or system libraries; reported, not failed)', others)):
        if not items:
            continue
        out.append('')
        out.append('=== %s ===' % title)
        for _, (count, _, text, pids) in items:
            out.append('--- %d occurrence(s), processes %s' % (count, ' '.join(sorted(pids)[:8])))
            out.extend(text)
    if crashes:
        out.append('')
        out.append('=== processes killed by a signal or aborted by valgrind (fail) ===')
        for pid, sig, cmd in crashes:
            out.append('%s %s %s' % (pid, sig, cmd))
    report = '\n'.join(out) + '\n'
    if a.summary:
        with open(a.summary, 'w') as fh:
            fh.write(report)
    # The console gets the headline and the AlphaPulse stacks in full.
    if ours or crashes:
        print(report)
    else:
        print(out[0])
    if others and not (ours or crashes):
        print('(%d stacks outside AlphaPulse: see %s)' % (len(others), a.summary or 'the logs'))
    return 1 if ours or crashes else 0


def add_block(block, pid, groups, frame_is_ours):
    """One error: strip the ==pid== prefixes and suppression text, group by stack."""
    text = []
    frames = []
    ours = False
    in_supp = False
    for line in block:
        if line.strip().endswith('{') or re.match(r'^\{', line):
            in_supp = True
        if in_supp:
            if line.strip() == '}':
                in_supp = False
            continue
        m = FRAME.match(line)
        if m:
            func, where = m.group(1), m.group(2)
            frames.append(func + ' ' + re.sub(r':\d+$', '', where or ''))
            if frame_is_ours(func, where):
                ours = True
        text.append(re.sub(r'^==\d+==\s?', '', line))
    head = text[0] if text else ''
    kind = re.sub(r'0x[0-9A-Fa-f]+|\d+', 'N', head)
    key = (kind, tuple(frames[:12]))
    g = groups.get(key)
    if g is None:
        groups[key] = [1, ours, text, {pid}]
    else:
        g[0] += 1
        g[3].add(pid)


if __name__ == '__main__':
    sys.exit(main())
