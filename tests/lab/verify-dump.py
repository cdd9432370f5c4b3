#!/usr/bin/env python3
"""verify-dump.py - check a lab dump against its facts file.

    verify-dump.py DUMP FACTS

An independent, deliberately small minidump reader (Python standard library
only) that checks what each scenario knows by construction: the threads and
their names, the module list and CodeView records, the exception, the
critical-section owners, the named event's handle and, where the dump holds
the PEB, the command line.  build-lab.sh runs it on every dump it makes, so a
dump that reaches the tests is known to be right; it is also a second opinion
when coroner and a dump disagree.

Exit status 0 if every check passed, 1 otherwise.
"""
import struct
import sys

# Stream types (minidumpapiset.h).
THREAD_LIST, MODULE_LIST, MEMORY_LIST, EXCEPTION = 3, 4, 5, 6
MEMORY64_LIST, HANDLE_DATA, MISC_INFO, THREAD_NAMES = 9, 12, 15, 24


class Dump:
    def __init__(self, path):
        with open(path, 'rb') as f:
            self.data = f.read()
        sig, _, count, dir_rva, _, _, self.flags = struct.unpack_from('<5IIQ', self.data, 0)
        if sig != 0x504d444d:
            raise ValueError('%s: not a minidump (signature %#x)' % (path, sig))
        self.streams = {}
        for i in range(count):
            kind, size, rva = struct.unpack_from('<3I', self.data, dir_rva + 12 * i)
            if kind and kind not in self.streams:
                self.streams[kind] = (rva, size)
        self.ranges = []        # (start, size, file offset)
        if MEMORY_LIST in self.streams:
            rva, _ = self.streams[MEMORY_LIST]
            (n,) = struct.unpack_from('<I', self.data, rva)
            for i in range(n):
                start, size, at = struct.unpack_from('<QII', self.data, rva + 4 + 16 * i)
                self.ranges.append((start, size, at))
        if MEMORY64_LIST in self.streams:
            rva, _ = self.streams[MEMORY64_LIST]
            n, at = struct.unpack_from('<QQ', self.data, rva)
            for i in range(n):
                start, size = struct.unpack_from('<QQ', self.data, rva + 16 + 16 * i)
                self.ranges.append((start, size, at))
                at += size
        self.ranges.sort()

    def string(self, rva):
        (n,) = struct.unpack_from('<I', self.data, rva)
        return self.data[rva + 4:rva + 4 + n].decode('utf-16le', 'replace')

    def read(self, addr, size):
        """Bytes at a virtual address, or None if the dump does not hold them."""
        for start, length, at in self.ranges:
            if start <= addr and addr + size <= start + length:
                off = at + addr - start
                return self.data[off:off + size]
        return None

    def u64(self, addr):
        b = self.read(addr, 8)
        return struct.unpack('<Q', b)[0] if b else None

    def threads(self):
        rva, _ = self.streams[THREAD_LIST]
        (n,) = struct.unpack_from('<I', self.data, rva)
        out = {}
        for i in range(n):
            at = rva + 4 + 48 * i
            tid, _, _, _, teb, stack_start, stack_size = struct.unpack_from('<4IQQI', self.data, at)
            ctx_size, ctx_rva = struct.unpack_from('<II', self.data, at + 40)
            # CONTEXT (x64): Rsp at 0x98, Rip at 0xf8.
            rsp = rip = None
            if ctx_size >= 0x100:
                rsp, = struct.unpack_from('<Q', self.data, ctx_rva + 0x98)
                rip, = struct.unpack_from('<Q', self.data, ctx_rva + 0xf8)
            out[tid] = {'teb': teb, 'rsp': rsp, 'rip': rip,
                        'stack': (stack_start, stack_size)}
        return out

    def modules(self):
        rva, _ = self.streams[MODULE_LIST]
        (n,) = struct.unpack_from('<I', self.data, rva)
        out = []
        for i in range(n):
            at = rva + 4 + 108 * i
            base, size, _, _, name_rva = struct.unpack_from('<QIIII', self.data, at)
            cv_size, cv_rva = struct.unpack_from('<II', self.data, at + 76)
            cv = self.data[cv_rva:cv_rva + cv_size] if cv_size else b''
            out.append({'base': base, 'size': size, 'name': self.string(name_rva), 'cv': cv})
        return out

    def thread_names(self):
        if THREAD_NAMES not in self.streams:
            return {}
        rva, _ = self.streams[THREAD_NAMES]
        (n,) = struct.unpack_from('<I', self.data, rva)
        out = {}
        for i in range(n):
            tid, name_rva = struct.unpack_from('<IQ', self.data, rva + 4 + 12 * i)
            out[tid] = self.string(name_rva)
        return out

    def handles(self):
        if HANDLE_DATA not in self.streams:
            return None
        rva, _ = self.streams[HANDLE_DATA]
        header, entry, n = struct.unpack_from('<3I', self.data, rva)
        out = {}
        for i in range(n):
            h, type_rva, name_rva = struct.unpack_from('<QII', self.data, rva + header + entry * i)
            out[h] = (self.string(type_rva) if type_rva else '',
                      self.string(name_rva) if name_rva else '')
        return out

    def unicode_string(self, addr):
        """A UNICODE_STRING (x64 layout) at addr, or None."""
        head = self.read(addr, 16)
        if not head:
            return None
        length, _, _, buf = struct.unpack('<HHIQ', head)
        text = self.read(buf, length)
        return text.decode('utf-16le', 'replace') if text is not None else None


def read_facts(path):
    facts = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if '=' in line:
                key, value = line.split('=', 1)
                facts[key] = value
    return facts


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    dump = Dump(sys.argv[1])
    facts = read_facts(sys.argv[2])
    failures = []
    passed = [0]

    def check(ok, what):
        if ok:
            passed[0] += 1
        else:
            failures.append(what)

    threads = dump.threads()
    for key, value in facts.items():
        if key.startswith('tid.'):
            check(int(value) in threads, '%s=%s not in the thread list' % (key, value))

    # Each of our functions in stack.ROLE is where the thread stopped (rip) or
    # a return address into it is on the thread's stack.  This is a scan, not
    # an unwind: a function is taken to end where the next function the facts
    # name begins (at most 4 KiB on).
    syms = sorted(int(v, 16) for k, v in facts.items() if k.startswith('sym.'))

    def extent(start):
        later = [a for a in syms if a > start]
        return min(later[0] - start, 0x1000) if later else 0x1000

    for key, value in facts.items():
        if not key.startswith('stack.') or 'tid.' + key[len('stack.'):] not in facts:
            continue
        thread = threads.get(int(facts['tid.' + key[len('stack.'):]]))
        if not thread or thread['rip'] is None:
            continue
        stack = dump.read(*thread['stack']) or b''
        words = struct.unpack('<%dQ' % (len(stack) // 8), stack[:len(stack) // 8 * 8])
        for func in value.split(','):
            if 'sym.' + func not in facts:
                continue
            start = int(facts['sym.' + func], 16)
            end = start + extent(start)
            found = start <= thread['rip'] < end or any(start < w <= end for w in words)
            check(found, '%s: %s neither at rip nor on the stack' % (key, func))

    if MISC_INFO in dump.streams:
        rva, _ = dump.streams[MISC_INFO]
        _, flags, pid = struct.unpack_from('<3I', dump.data, rva)
        check(flags & 1 and pid == int(facts['pid']),
              'MiscInfo pid %d, facts say %s' % (pid, facts['pid']))

    modules = dump.modules()
    exe = [m for m in modules if m['name'].lower().endswith('\\' + facts['exe'].lower())]
    check(len(exe) == 1, 'module %s not in the module list' % facts['exe'])
    if exe:
        check(exe[0]['base'] == int(facts['image_base'], 16), 'image base of %s' % facts['exe'])
        check(exe[0]['cv'][:4] == b'RSDS', '%s has no RSDS CodeView record' % facts['exe'])

    names = dump.thread_names()
    if names:
        for key, value in facts.items():
            if key.startswith('thread_name.'):
                tid = int(facts['tid.' + key[len('thread_name.'):]])
                check(names.get(tid) == value,
                      'thread %d named %r, facts say %r' % (tid, names.get(tid), value))

    if 'exception.code' in facts:
        check(EXCEPTION in dump.streams, 'no exception stream')
        if EXCEPTION in dump.streams:
            rva, _ = dump.streams[EXCEPTION]
            tid, _, code, _, _, address, nparams = struct.unpack_from('<IIIIQQI', dump.data, rva)
            info = struct.unpack_from('<2Q', dump.data, rva + 40)
            check(code == int(facts['exception.code'], 16), 'exception code %#x' % code)
            check(tid == int(facts['exception.tid']), 'exception thread %d' % tid)
            if 'exception.target' in facts:
                check(nparams >= 2 and info[0] == int(facts['exception.info0']) and
                      info[1] == int(facts['exception.target'], 16),
                      'exception information %s' % [hex(x) for x in info])
            func = facts.get('exception.func')
            # A software exception (a C++ throw) is raised inside
            # RaiseException; exception.func is then the thrower, further up.
            if func and 'sym.' + func in facts and 'exception.cpp_type' not in facts:
                start = int(facts['sym.' + func], 16)
                check(start <= address < start + 0x200,
                      'exception address %#x is not in %s (%#x)' % (address, func, start))

    # Critical sections: OwningThread at +0x10 is the owner's tid; Wine keeps
    # the NT 4 LockCount encoding (number of waiters once owned).
    for key, value in facts.items():
        if key.startswith('cs.') and key.count('.') == 1:
            addr = int(value, 16)
            raw = dump.read(addr, 0x28)
            if raw is None:
                # Only dumps with data segments (flag 0x1) or full memory (0x2) hold it.
                check(not dump.flags & 3, 'critical section %s at %#x not in the dump' % (key, addr))
                continue
            lock_count, recursion, owner = struct.unpack_from('<iiQ', raw, 8)
            waiters = [w for w in facts.get(key + '.waiters', '').split(',') if w]
            check(owner == int(facts[key + '.owner']), '%s owner %d' % (key, owner))
            check(lock_count == len(waiters), '%s LockCount %d, %d waiters' % (key, lock_count, len(waiters)))
            check(recursion == 1, '%s RecursionCount %d' % (key, recursion))

    handles = dump.handles()
    if handles is not None and 'event.handle' in facts:
        kind, name = handles.get(int(facts['event.handle'], 16), ('', ''))
        leaf = facts['event.name'].split('\\')[-1]
        check(kind == 'Event' and name.endswith('\\' + leaf),
              'handle %s is %r %r' % (facts['event.handle'], kind, name))

    # PEB: TEB+0x60 -> PEB; PEB+0x20 -> RTL_USER_PROCESS_PARAMETERS;
    # +0x70 CommandLine, +0x60 ImagePathName.
    if 'cmdline' in facts:
        teb = threads[int(facts['tid.main'])]['teb']
        peb = dump.u64(teb + 0x60)
        params = dump.u64(peb + 0x20) if peb else None
        cmdline = dump.unicode_string(params + 0x70) if params else None
        check(cmdline == facts['cmdline'], 'PEB command line %r' % cmdline)
        image = dump.unicode_string(params + 0x60) if params else None
        check(image is not None and image.lower().endswith(facts['exe'].lower()),
              'PEB image path %r' % image)

    for f in failures:
        print('FAIL %s: %s' % (sys.argv[1], f))
    # Not "N passed, N failed": CI reads that line shape as a test summary.
    print('%s: %s (%d checks, %d failing)' % (sys.argv[1], 'FAILED' if failures else 'ok',
                                               passed[0] + len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
