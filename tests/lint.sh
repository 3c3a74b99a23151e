#!/bin/sh
# make lint: what a reader of the code and of the manual should be able to
# trust, checked against its source.
#  1. No banned C function (unbounded copies and formats, non-reentrant
#     tokenizing, unchecked number parsing) in egressd's sources, tools or tests.
#  2. Every option's default is the same in the option table (as
#     `egressd --help` prints it), in the README's configuration table and
#     in deploy/egressd.conf.
#  3. The options a SIGHUP puts in use are those the table marks
#     `.reloads = 1`, and the README lists exactly those.
#  4. Every stats figure the sources write has its row in the stats
#     registry (common/statreg.c).
#  5. The folders' layering: what may include what (tests/deps.sh).
#  6. No source file is over 1,000 lines: a file that grows past that
#     holds two modules, and is cut along its seam.
#
#   tests/lint.sh EGRESSD
set -u
egressd=${1:?usage: lint.sh EGRESSD}
top=$(cd "$(dirname "$0")/.." && pwd)
fail=0
ok() { echo "ok - $*"; }
notok() { fail=1; echo "not ok - $*"; }

# 1. Banned functions: each has a bounded or checked replacement in use
# (snprintf, str_copy, strtok_r, parse_long, ...).
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof|tmpnam|tempnam|mktemp)[[:space:]]*\('
hits=$(cd "$top" && grep -nEr --include='*.c' --include='*.h' "$banned" \
    egressd.c sidecar.c pipeline.c capture classify common enforce include \
    tools \
    tests | grep -v '^tests/fuzz/corpus' || true)
if [ -z "$hits" ]; then
	ok "no banned function (strcpy, strcat, sprintf, gets, strtok, atoi, mktemp, ...)"
else
	notok "banned functions:"
	echo "$hits" | sed 's/^/#   /'
fi

# 2 and 3, in Python: the three places that state a default, and the
# reload list.
"$egressd" --help >"${TMPDIR:-/tmp}/egressd-lint-help.$$" 2>&1
python3 - "$top" "${TMPDIR:-/tmp}/egressd-lint-help.$$" <<'PY'
import re, sys
top, helpfile = sys.argv[1], sys.argv[2]
bad = []
UNITS = {'ms': 1000, 's': 10**6, 'm': 60 * 10**6, 'h': 3600 * 10**6,
         'd': 86400 * 10**6}

def norm(v):
    v = v.strip().strip('`')
    if v in ('(none)', "''", '""'):
        return ''
    m = re.fullmatch(r'(\d+)(ms|s|m|h|d)', v)
    if m:
        return str(int(m.group(1)) * UNITS[m.group(2)]) + 'us'
    return v

# --help: "  --name ARG   help [default]"
table = {}
for line in open(helpfile, encoding='utf-8'):
    m = re.match(r'  --([a-z0-9-]+)(?:\[=no\])?(?: \S+)?\s+(.*)$', line)
    if not m:
        continue
    name = m.group(1).replace('-', '_')
    d = re.search(r'\[([^\]]*)\]\s*$', m.group(2))
    table[name] = norm(d.group(1)) if d else ''
for k in ('help', 'version'):
    table.pop(k, None)

readme = open(top + '/README.md', encoding='utf-8').read()
rows = {}
sect = readme[readme.index('| key | default | range | meaning |'):]
for line in sect.splitlines()[2:]:
    if not line.startswith('| `'):
        break
    cells = [c.strip() for c in line.strip('|').split('|')]
    # a row may hold several: `a`, `b` | 1, 2
    names = [n.strip().strip('`') for n in cells[0].split(',')]
    vals = [v.strip() for v in cells[1].split(',')] if len(names) > 1 \
        else [cells[1]]
    if len(vals) != len(names):
        bad.append('README: row %s has %d defaults' % (cells[0], len(vals)))
        continue
    rows.update(zip(names, vals))
conf = {}
for line in open(top + '/deploy/egressd.conf', encoding='utf-8'):
    m = re.match(r'^(?:# )?([a-z_0-9]+) = (.*)$', line.rstrip('\n'))
    if m and m.group(1) in table and m.group(1) not in conf:
        conf[m.group(1)] = m.group(2)
# Defaults that depend on where egressd is built or installed, or that
# the README words rather than states.
skip = {'signature_dir'}
for name, want in sorted(table.items()):
    if name in skip:
        continue
    if name not in rows:
        bad.append('README: no row for %s' % name)
    elif norm(rows[name]) != want and not (want == '' and rows[name].startswith('(')):
        bad.append('README: %s default %s, the table says %r' % (name, rows[name], want))
    if name in conf and norm(conf[name]) != want and not conf[name].startswith('/') \
            and want != '':
        bad.append('deploy/egressd.conf: %s = %s, the table says %r' % (name, conf[name], want))
for name in rows:
    if name not in table:
        bad.append('README: row for %s, which is no option' % name)

# 3. The reload list.
src = open(top + '/common/options.c', encoding='utf-8').read()
reloads = set()
for m in re.finditer(r'\{ \.name = "([a-z_0-9]+)",(.*?)\},', src, re.S):
    if '.reloads = 1' in m.group(2):
        reloads.add(m.group(1))
m = re.search(r'those that change live are\s+(.*?)\.\s', readme, re.S)
listed = set(re.findall(r'`([a-z_0-9]+)`', m.group(1))) if m else set()
if listed != reloads:
    bad.append('README reload list %s, the table marks %s' % (
        sorted(listed), sorted(reloads)))
for b in bad:
    print('#   ' + b)
print('%d options: defaults %s; reload list %s' % (len(table),
      'agree' if not [b for b in bad if 'reload' not in b] else 'DISAGREE',
      'agrees' if listed == reloads else 'DISAGREES'))
sys.exit(1 if bad else 0)
PY
rc=$?
rm -f "${TMPDIR:-/tmp}/egressd-lint-help.$$"
if [ $rc -eq 0 ]; then
	ok "option defaults: table, README and deploy/egressd.conf agree; the README's reload list is the table's"
else
	notok "option defaults or reload list disagree (above)"
fi

# 4. Every figure a source file writes (stats_add, stats_merge with a
# literal section and name) has its row in the stats registry, which
# gives it its kind, its help and its Prometheus family.
missing=$(cd "$top" && python3 - <<'PY'
import glob, re
reg = open('common/statreg.c', encoding='utf-8').read()
rows = set(re.findall(r'\{ "([a-z_]+)", "([a-z_0-9]+)", ', reg))
files = ['egressd.c', 'sidecar.c', 'pipeline.c'] + sorted(
    glob.glob('capture/*.c') + glob.glob('classify/*.c') +
    glob.glob('common/*.c') + glob.glob('enforce/*.c'))
n = 0
for f in files:
    src = open(f, encoding='utf-8').read()
    for m in re.finditer(r'stats_(?:add|merge)\(\s*[^,]+,\s*"([a-z_]+)",\s*"([a-z_0-9]+)"', src):
        n += 1
        if (m.group(1), m.group(2)) not in rows:
            print('%s: %s.%s' % (f, m.group(1), m.group(2)))
if n < 50:
    print('only %d stats_add calls found: the pattern no longer matches' % n)
PY
)
if [ -z "$missing" ]; then
	ok "every stats figure the sources write has a row in common/statreg.c"
else
	notok "stats figures without a row in common/statreg.c:"
	echo "$missing" | sed 's/^/#   /'
fi

# 5. The folders' layering, one line per rule (tests/deps.sh).
"$top/tests/deps.sh" || fail=1

# 6. File length.
long=$(cd "$top" && wc -l egressd.c sidecar.c pipeline.c capture/*.[ch] \
    classify/*.[ch] common/*.[ch] enforce/*.[ch] include/*.h |
    awk '$2 != "total" && $1 > 1000 { print $2 " " $1 }')
if [ -z "$long" ]; then
	ok "no source file over 1,000 lines"
else
	notok "source files over 1,000 lines:"
	echo "$long" | sed 's/^/#   /'
fi
exit $fail
