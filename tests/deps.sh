#!/bin/sh
# tests/deps.sh: the layering of egressd's folders, checked against the
# #include "..." lines of the sources (tests/ excepted: a unit test may
# reach into any folder).
#
# Who owns a header: a header in capture/, classify/, common/ or enforce/
# is that folder's internal header, included only from its own folder. A
# header in include/ is public and belongs to the folder holding the .c of
# the same name (include/decode.h to capture/, because of
# capture/decode.c); pipeline.h, sidecar.h and fleet.h belong to the
# program (egressd.c, sidecar.c, pipeline.c, fleet.c at the top). Three
# have no .c of their name and are listed in OWNERS below: event.h, the records that leave
# classification for the sinks, is a data header of common/ (its enums are
# vocab.h's and its one function, stats_add, is common/statreg.c's);
# bytes.h, inline byte-order readers, is common/'s; sink.h, the interface
# every sink implements, is enforce/'s. A new include/ header without a .c
# of its name must be added there.
#
# A file depends on the folder owning each header it includes; the rules
# are on those edges:
#   common/    depends on nothing else
#   capture/   on common/
#   classify/  on common/, and on capture/ only for the decoded packet
#              (decode.h)
#   enforce/   on common/ (the event records are common/'s)
#   only the program (egressd.c, sidecar.c, pipeline.c, fleet.c and their
#   headers) ties folders together, and no folder includes its headers
#   no file includes another folder's internal header
#   include/ holds only public headers: each is included from outside its
#   folder (directly, or through other include/ headers); one that is not
#   belongs beside its .c
#   every quoted include names a header that exists (beside the includer,
#   or in include/), and every include/ header has an owner
#
# One line per rule, `ok - ...` or `not ok - ...` followed by the include
# lines that break it; the exit status is 1 if any rule failed.
# `tests/deps.sh --graph` prints the folder graph found as well.
#
#   tests/deps.sh [--graph]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
python3 - "$top" "${1:-}" <<'PY'
import os, re, sys
from collections import defaultdict

top, mode = sys.argv[1], sys.argv[2]
os.chdir(top)
FOLDERS = ('capture', 'classify', 'common', 'enforce')
PROGRAM = ('egressd.c', 'sidecar.c', 'pipeline.c', 'fleet.c')
# include/ headers without a .c of their name (see the top of this file).
OWNERS = {'event.h': 'common', 'bytes.h': 'common', 'sink.h': 'enforce'}
# What each folder may depend on: (folder, only these of its headers, or
# None for any public one). The program may depend on anything.
ALLOWED = {
    'common': {},
    'capture': {'common': None},
    'classify': {'common': None, 'capture': {'include/decode.h'}},
    'enforce': {'common': None},
}
WHY = {
    'common': 'common/ depends on nothing else',
    'capture': 'capture/ depends on common/ only',
    'classify': 'classify/ depends on common/, and on capture/ only for '
                'the decoded packet (decode.h)',
    'enforce': 'enforce/ depends on common/ only (the event records are '
               "common/'s)",
}

files = [f for f in PROGRAM if os.path.exists(f)]
for d in ('include',) + FOLDERS:
    files += sorted(os.path.join(d, n) for n in os.listdir(d)
                    if n.endswith(('.c', '.h')))
c_home = {}
for d in FOLDERS:
    for n in os.listdir(d):
        if n.endswith('.c'):
            c_home[n[:-2] + '.h'] = d
for f in PROGRAM:
    c_home[f[:-2] + '.h'] = 'program'

unowned = []


def owner(path):
    d = os.path.dirname(path)
    if d == '':
        return 'program'
    if d != 'include':
        return d
    n = os.path.basename(path)
    o = c_home.get(n) or OWNERS.get(n)
    if o is None:
        o = '?'
        if path not in unowned:
            unowned.append(path)
    return o


def resolve(includer, name):
    # The compiler's quote search for module builds: beside the includer,
    # then -Iinclude.
    for p in (os.path.join(os.path.dirname(includer), name),
              os.path.join('include', name)):
        p = os.path.normpath(p)
        if os.path.isfile(p):
            return p
    return None


edges = []          # (includer, line, text, header, from, to)
unresolved = []
for f in files:
    with open(f, encoding='utf-8') as fh:
        for n, line in enumerate(fh, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            loc = '%s:%d: %s' % (f, n, line.strip())
            h = resolve(f, m.group(1))
            if h is None:
                unresolved.append(loc)
                continue
            edges.append((loc, f, h, owner(f), owner(h)))

fail = False


def report(good, what, bad):
    global fail
    if good:
        print('ok - ' + what)
    else:
        fail = True
        print('not ok - ' + what)
        for b in bad:
            print('#   ' + b)


# The folder graph, for --graph and for the record.
graph = defaultdict(lambda: defaultdict(set))
for loc, f, h, a, b in edges:
    if a != b:
        graph[a][b].add(h)
if mode == '--graph':
    for a in sorted(graph):
        print('# %s -> %s' % (a, '; '.join(
            '%s (%s)' % (b, ', '.join(sorted(os.path.basename(x)
                                              for x in hs)))
            for b, hs in sorted(graph[a].items()))))

for folder in ('common', 'capture', 'classify', 'enforce'):
    bad = []
    for loc, f, h, a, b in edges:
        if a != folder or b == folder:
            continue
        allow = ALLOWED[folder]
        if b not in allow or (allow[b] is not None and h not in allow[b]):
            bad.append('%s (%s is %s)' % (loc, h, "the program's"
                                          if b == 'program' else b + "/'s"))
    report(not bad, WHY[folder], bad)

bad = ['%s (%s is the program\'s)' % (loc, h)
       for loc, f, h, a, b in edges if b == 'program' and a != 'program']
report(not bad, 'only the program (egressd.c, sidecar.c, pipeline.c, fleet.c) ties '
       'folders together; no folder includes its headers', bad)

bad = ['%s (%s is internal to %s/)' % (loc, h, b)
       for loc, f, h, a, b in edges
       if os.path.dirname(h) in FOLDERS and os.path.dirname(f) != os.path.dirname(h)]
report(not bad, "no file includes another folder's internal header", bad)

# include/ headers reached from outside their folder, directly or through
# other include/ headers.
inc = defaultdict(set)      # header -> headers it includes
users = defaultdict(set)    # header -> files including it
for loc, f, h, a, b in edges:
    users[h].add(f)
    inc[f].add(h)
public = set()
for f in files:
    if os.path.dirname(f) == 'include':
        continue
    seen, pending = set(), [h for h in inc[f] if h.startswith('include/')]
    while pending:
        h = pending.pop()
        if h in seen:
            continue
        seen.add(h)
        pending += [x for x in inc[h] if x.startswith('include/')]
    public |= {h for h in seen if owner(h) != owner(f)}
bad = []
for f in files:
    if os.path.dirname(f) != 'include' or owner(f) in ('program', '?'):
        continue
    if f not in public:
        who = sorted(users[f]) or ['nothing']
        bad.append('%s is used only within %s/ (by %s): move it to %s/' % (
            f, owner(f), ', '.join(who), owner(f)))
report(not bad, 'include/ holds only public headers; internal ones sit '
       'beside their .c', bad)

bad = ['%s (no such header beside it or in include/)' % x for x in unresolved]
bad += ['%s has no %s.c and is not in OWNERS (tests/deps.sh)' % (
    x, os.path.basename(x)[:-2]) for x in unowned]
report(not bad, 'every quoted include is found, every include/ header has '
       'an owner', bad)
sys.exit(1 if fail else 0)
PY
