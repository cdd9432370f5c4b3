#!/usr/bin/env python3
"""stream_totals.py - check !runaway, !handle and !address against the raw streams.

    stream_totals.py runaway DUMP < output-of-"!runaway 7"
    stream_totals.py handle  DUMP < output-of-"!handle" or "!handle 0 f"
    stream_totals.py address DUMP < output-of-"!address -summary"

A second, deliberately small minidump reader (standard library only, written
from minidumpapiset.h, not from coroner's sources) reads ThreadList,
ThreadInfoList, HandleData, MemoryInfoList and SystemInfo, works out what the
command must report, and compares: every thread's times, every handle and the
count per type, region counts and byte sums per state, type and protection,
and that the usage summary covers the whole address space. Prints one line
per disagreement; exit status 0 when there is none.
"""
import re
import struct
import sys

THREAD_LIST, HANDLE_DATA, SYSTEM_INFO = 3, 12, 7
MEMORY_INFO_LIST, THREAD_INFO_LIST = 16, 17
MEM_COMMIT, MEM_RESERVE, MEM_FREE = 0x1000, 0x2000, 0x10000
MEM_PRIVATE, MEM_MAPPED, MEM_IMAGE = 0x20000, 0x40000, 0x1000000
STATE_NAMES = {MEM_COMMIT: 'MEM_COMMIT', MEM_RESERVE: 'MEM_RESERVE', MEM_FREE: 'MEM_FREE'}
TYPE_NAMES = {MEM_PRIVATE: 'MEM_PRIVATE', MEM_MAPPED: 'MEM_MAPPED', MEM_IMAGE: 'MEM_IMAGE'}
PROTECT_BITS = [(0x01, 'PAGE_NOACCESS'), (0x02, 'PAGE_READONLY'), (0x04, 'PAGE_READWRITE'),
                (0x08, 'PAGE_WRITECOPY'), (0x10, 'PAGE_EXECUTE'), (0x20, 'PAGE_EXECUTE_READ'),
                (0x40, 'PAGE_EXECUTE_READWRITE'), (0x80, 'PAGE_EXECUTE_WRITECOPY'),
                (0x100, 'PAGE_GUARD'), (0x200, 'PAGE_NOCACHE'), (0x400, 'PAGE_WRITECOMBINE'),
                (0x40000000, 'PAGE_TARGETS_INVALID')]
FILETIME_EPOCH = 116444736000000000  # 1970-01-01 in 100 ns units since 1601

problems = []


def problem(msg):
    problems.append(msg)


class Dump:
    def __init__(self, path):
        with open(path, 'rb') as f:
            self.data = f.read()
        sig, _, count, dir_rva, _, self.timestamp = struct.unpack_from('<6I', self.data, 0)
        assert sig == 0x504d444d, 'not a minidump'
        self.streams = {}
        for i in range(count):
            kind, size, rva = struct.unpack_from('<3I', self.data, dir_rva + 12 * i)
            self.streams.setdefault(kind, (rva, size))

    def string(self, rva):
        (n,) = struct.unpack_from('<I', self.data, rva)
        return self.data[rva + 4:rva + 4 + n].decode('utf-16le', 'replace')

    def arch(self):
        rva, _ = self.streams[SYSTEM_INFO]
        return struct.unpack_from('<H', self.data, rva)[0]

    def thread_ids(self):
        """Thread ids in ThreadList order (WinDbg's thread numbers)."""
        rva, _ = self.streams[THREAD_LIST]
        (n,) = struct.unpack_from('<I', self.data, rva)
        return [struct.unpack_from('<I', self.data, rva + 4 + 48 * i)[0] for i in range(n)]

    def thread_infos(self):
        rva, _ = self.streams[THREAD_INFO_LIST]
        hdr, size, n = struct.unpack_from('<3I', self.data, rva)
        out = {}
        for i in range(n):
            f = struct.unpack_from('<4I6Q', self.data, rva + hdr + i * size)
            out.setdefault(f[0], {'create': f[4], 'exit': f[5], 'kernel': f[6], 'user': f[7]})
        return out

    def handles(self):
        rva, _ = self.streams[HANDLE_DATA]
        hdr, size, n = struct.unpack_from('<3I', self.data, rva)
        out = []
        for i in range(n):
            h, tn, on, attr, access, hc, pc = struct.unpack_from('<Q6I', self.data, rva + hdr + i * size)
            out.append({'handle': h, 'type': self.string(tn) if tn else '',
                        'name': self.string(on) if on else '', 'attributes': attr,
                        'access': access, 'handles': hc, 'pointers': pc})
        return out

    def regions(self):
        """MemoryInfoList as (base, size, state, protect, type), sorted; a
        32-bit process's sign-extended addresses cut back to 32 bits."""
        rva, _ = self.streams[MEMORY_INFO_LIST]
        hdr, size, n = struct.unpack_from('<IIQ', self.data, rva)
        mask = 0xffffffff if self.arch() == 0 else (1 << 64) - 1
        out = []
        for i in range(n):
            base, _, _, _, rsize, state, prot, typ, _ = struct.unpack_from('<QQIIQIIII', self.data,
                                                                           rva + hdr + i * size)
            if rsize:
                out.append((base & mask, rsize, state, prot, typ))
        return sorted(out)


def span_ms(text):
    m = re.fullmatch(r'(\d+) days (\d+):(\d\d):(\d\d)\.(\d\d\d)', text)
    if not m:
        problem('bad time %r' % text)
        return 0
    d, h, mi, s, ms = map(int, m.groups())
    return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms


def check_runaway(dump, out):
    tids = dump.thread_ids()
    infos = dump.thread_infos()
    now = dump.timestamp * 10000000 + FILETIME_EPOCH
    sections = {}
    current = None
    for line in out.splitlines():
        if line.strip() in ('User Mode Time', 'Kernel Mode Time', 'Elapsed Time'):
            current = sections.setdefault(line.strip(), [])
            continue
        m = re.fullmatch(r' *(\d+):([0-9a-f]+) +(\d+ days [0-9:.]+)', line)
        if m and current is not None:
            current.append((int(m.group(1)), int(m.group(2), 16), span_ms(m.group(3))))
    for title, key in (('User Mode Time', 'user'), ('Kernel Mode Time', 'kernel'), ('Elapsed Time', None)):
        rows = sections.get(title)
        if rows is None:
            problem('no %s section' % title)
            continue
        expect = {}
        for i, tid in enumerate(tids):
            info = infos.get(tid)
            if info is None:
                continue
            if key:
                v = info[key]
            else:
                until = info['exit'] or now
                v = until - info['create'] if info['create'] and until > info['create'] else 0
            expect[(i, tid)] = v // 10000
        got = {(i, tid): ms for i, tid, ms in rows}
        if got != expect:
            problem('%s: coroner %s, streams %s' % (title, sorted(got.items()), sorted(expect.items())))
        if sum(got.values()) != sum(expect.values()):
            problem('%s: total %d ms, streams %d ms' % (title, sum(got.values()), sum(expect.values())))
        times = [ms for _, _, ms in rows]
        if times != sorted(times, reverse=True):
            problem('%s: not sorted busiest first: %s' % (title, times))


def check_handle(dump, out):
    handles = dump.handles()
    listed = []  # (handle, {field: value})
    for line in out.splitlines():
        m = re.fullmatch(r'Handle ([0-9a-f]+)', line)
        if m:
            listed.append((int(m.group(1), 16), {}))
            continue
        m = re.fullmatch(r'  (Type|Attributes|HandleCount|PointerCount|Name) *\t(.*)', line)
        if m and listed:
            listed[-1][1][m.group(1)] = m.group(2)
        m = re.fullmatch(r'  GrantedAccess\t0x([0-9a-f]+):', line)
        if m and listed:
            listed[-1][1]['GrantedAccess'] = int(m.group(1), 16)
    if [h for h, _ in listed] != [h['handle'] for h in handles]:
        problem('handles listed %s, stream has %s' % ([hex(h) for h, _ in listed],
                                                     [hex(h['handle']) for h in handles]))
    for (value, fields), h in zip(listed, handles):
        want = {'Type': h['type'], 'Attributes': '%x' % h['attributes'], 'HandleCount': str(h['handles']),
                'PointerCount': str(h['pointers']), 'Name': h['name'] or '<none>',
                'GrantedAccess': h['access']}
        for k, v in fields.items():
            if v != want[k]:
                problem('handle %x: %s is %r, stream says %r' % (value, k, v, want[k]))
    m = re.search(r'^(\d+) Handles$', out, re.M)
    if not m or int(m.group(1)) != len(handles):
        problem('total: %s, stream has %d handles' % (m and m.group(0), len(handles)))
    table = {}
    tail = out[out.index('Type           \tCount'):] if 'Type           \tCount' in out else ''
    for line in tail.splitlines()[1:]:
        m = re.fullmatch(r'(.+?) *\t(\d+)', line)
        if m:
            table[m.group(1)] = int(m.group(2))
    want = {}
    for h in handles:
        want[h['type'] or 'None'] = want.get(h['type'] or 'None', 0) + 1
    if table != want:
        problem('per type: coroner %s, stream %s' % (table, want))
    if sum(table.values()) != len(handles):
        problem('per-type counts add up to %d, not %d' % (sum(table.values()), len(handles)))


def protect_name(p):
    names = [n for bit, n in PROTECT_BITS if p & bit]
    rest = p
    for bit, _ in PROTECT_BITS:
        rest &= ~bit
    if rest or not p:
        names.append('0x%x' % rest)
    return '|'.join(names)


def parse_hex(text):
    return int(text.replace('`', ''), 16)


def check_address(dump, out):
    regions = dump.regions()
    sections = {}
    current = None
    for line in out.splitlines():
        m = re.match(r'--- (.+?) -', line)
        if m:
            current = sections.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r'(\S.*?) +(\d+) +([0-9a-f`]+) \( *([0-9.]+) (kB|MB|GB|TB)\)(.*)', line)
        if m and current is not None:
            size = parse_hex(m.group(3))
            scale = {'kB': 1 << 10, 'MB': 1 << 20, 'GB': 1 << 30, 'TB': 1 << 40}[m.group(5)]
            if abs(float(m.group(4)) - size / scale) > 0.0006:
                problem('%s: %s is not %s %s' % (m.group(1), m.group(3), m.group(4), m.group(5)))
            current[m.group(1)] = (int(m.group(2)), size, m.group(6))
            continue
        m = re.fullmatch(r'(\S.*?) +([0-9a-f`]+) +([0-9a-f`]+) \( *[0-9.]+ (?:kB|MB|GB|TB)\)', line)
        if m and current is not None:
            current[m.group(1)] = (parse_hex(m.group(2)), parse_hex(m.group(3)))

    def expect(select, key):
        out = {}
        for r in regions:
            if select(r):
                count, total = out.get(key(r), (0, 0))
                out[key(r)] = (count + 1, total + r[1])
        return out

    total = sum(r[1] for r in regions)
    busy = sum(r[1] for r in regions if r[2] != MEM_FREE)
    for title, select, key in (
            ('State Summary', lambda r: True, lambda r: STATE_NAMES.get(r[2], '0x%x' % r[2])),
            ('Type Summary (for busy)', lambda r: r[2] != MEM_FREE, lambda r: TYPE_NAMES.get(r[4], '0x%x' % r[4])),
            ('Protect Summary (for commit)', lambda r: r[2] == MEM_COMMIT, lambda r: protect_name(r[3]))):
        got = {k: v[:2] for k, v in sections.get(title, {}).items()}
        want = expect(select, key)
        if got != want:
            problem('%s: coroner %s, stream %s' % (title, got, want))
    usage = sections.get('Usage Summary', {})
    if sum(v[1] for v in usage.values()) != total:
        problem('usage sizes add up to %#x, the regions to %#x' % (sum(v[1] for v in usage.values()), total))
    if sum(v[0] for v in usage.values()) < len(regions):
        problem('usage counts %d regions, the stream %d' % (sum(v[0] for v in usage.values()), len(regions)))
    free = [r for r in regions if r[2] == MEM_FREE]
    if usage.get('Free', (0, 0))[:2] != (len(free), sum(r[1] for r in free)):
        problem('Free row %s, stream %d free regions of %#x bytes' % (usage.get('Free'), len(free),
                                                                    sum(r[1] for r in free)))
    image = sum(r[1] for r in regions if r[4] == MEM_IMAGE and r[2] != MEM_FREE)
    if usage.get('Image', (0, 0))[1] < image:
        problem('Image row %s smaller than MEM_IMAGE (%#x)' % (usage.get('Image'), image))
    # Free + Reserve + Commit is the whole address space the stream covers.
    state = sections.get('State Summary', {})
    covered = sum(v[1] for v in state.values())
    contiguous = all(a[0] + a[1] == b[0] for a, b in zip(regions, regions[1:]))
    if not contiguous or covered != regions[-1][0] + regions[-1][1] - regions[0][0]:
        problem('states cover %#x bytes; the regions run from %#x to %#x%s' % (
            covered, regions[0][0], regions[-1][0] + regions[-1][1], '' if contiguous else ' with gaps'))
    for name, (count, size, pct) in usage.items():
        cols = pct.split()
        want_total = '%.2f%%' % (100.0 * size / total)
        if not cols or cols[-1] != want_total:
            problem('%s: %%ofTotal %r, expected %s' % (name, pct, want_total))
        if name != 'Free' and (len(cols) != 2 or cols[0] != '%.2f%%' % (100.0 * size / busy)):
            problem('%s: %%ofBusy %r, expected %.2f%%' % (name, pct, 100.0 * size / busy))
    largest = sections.get('Largest Region by Usage', {})
    big = max(free, key=lambda r: r[1]) if free else None
    if big and largest.get('Free') != (big[0], big[1]):
        problem('largest free region %s, stream %#x+%#x' % (largest.get('Free'), big[0], big[1]))
    if set(largest) != set(usage):
        problem('largest regions for %s, usages %s' % (sorted(largest), sorted(usage)))


def main():
    kind, path = sys.argv[1], sys.argv[2]
    dump = Dump(path)
    out = sys.stdin.read()
    {'runaway': check_runaway, 'handle': check_handle, 'address': check_address}[kind](dump, out)
    for p in problems:
        print('%s: %s' % (path.rsplit('/', 1)[-1], p))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
