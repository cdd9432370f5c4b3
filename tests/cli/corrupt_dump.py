#!/usr/bin/env python3
"""corrupt_dump.py IN OUT EDIT [EDIT...]: copies the minidump IN to OUT with
fields overwritten, for the hostile-input tests (hostile.sh). The inputs
stay small: each test derives its broken dump from a corpus file at run time.

Each EDIT is NAME=VALUE (VALUE in C syntax: 0x10, 42):
  exception.tid          MINIDUMP_EXCEPTION_STREAM.ThreadId
  exception.context_size the exception's ThreadContext.DataSize
  exception.nparams      ExceptionRecord.NumberParameters
  exception.code         ExceptionRecord.ExceptionCode
  thread.N.teb           thread N's Teb
  thread.N.stack_start   thread N's Stack.StartOfMemoryRange
  thread.N.context_size  thread N's ThreadContext.DataSize
  module.N.base          module N's BaseOfImage
  module.N.size          module N's SizeOfImage
  module.N.name          module N's name: VALUE is ASCII with Python
                         escapes (\\u00e9), written as a new
                         MINIDUMP_STRING at the end of the file
  memory.N.start         MemoryList range N's StartOfMemoryRange
  sysinfo.arch           SYSTEM_INFO.ProcessorArchitecture
  modules.count          a new ModuleList of VALUE 4 KB images, 8 KB apart
                         from 0x10000000, sharing one name
  memory.count           a new MemoryList of VALUE 16-byte ranges, 4 KB
                         apart from 0x50000000, sharing one copy of data
  threads.count          a new ThreadList of VALUE copies of thread 0 with
                         ids 0x10000 up, and a ThreadInfoList and a
                         ThreadNames stream naming each of them
  handles.types          a new HandleData stream of VALUE handles (4, 8...),
                         each of its own type: T0, T1...
  locks.list             VALUE free critical sections (with their debug
                         records) in the dump's captured memory, on the
                         ProcessLocksList of a new loader lock (the PEB's
                         LoaderLock points at it)
  locks.loop             as locks.list, but the list loops back to its
                         first critical section instead of to its head
  heaps.loop             VALUE fake NT heaps (Windows 10 layout) in the
                         dump's captured memory, each with FreeLists and
                         VirtualAllocdBlocks looping short of their heads;
                         the PEB's ProcessHeaps array names them all
Offsets are the documented ones (minidumpapiset.h); nothing is decoded
beyond the stream directory and the list heads the edits need."""
import bisect
import struct
import sys

STREAM_THREAD_LIST, STREAM_MODULE_LIST, STREAM_MEMORY_LIST = 3, 4, 5
STREAM_EXCEPTION, STREAM_SYSTEM_INFO = 6, 7
STREAM_MEMORY64_LIST = 9
STREAM_THREAD_INFO_LIST, STREAM_THREAD_NAMES = 17, 24
STREAM_HANDLE_DATA = 12
ARCH_AMD64 = 9
THREAD_SIZE, MODULE_SIZE, MEMDESC_SIZE = 48, 108, 16


def streams(b):
    if b[:4] != b'MDMP':
        sys.exit('corrupt_dump.py: not a minidump')
    n, rva = struct.unpack_from('<II', b, 8)
    out = {}
    for i in range(n):
        t, size, at = struct.unpack_from('<III', b, rva + 12 * i)
        out.setdefault(t, at)
    return out


def field(b, dirs, name):
    """(offset, struct format) of the named field."""
    parts = name.split('.')

    def stream(t):
        if t not in dirs:
            sys.exit('corrupt_dump.py: no stream %d for %s' % (t, name))
        return dirs[t]

    if parts[0] == 'exception':
        at = stream(STREAM_EXCEPTION)
        return {'tid': (at, '<I'), 'code': (at + 8, '<I'), 'nparams': (at + 32, '<I'),
                'context_size': (at + 160, '<I')}[parts[1]]
    if parts[0] == 'sysinfo':
        return stream(STREAM_SYSTEM_INFO), '<H'
    k = int(parts[1])
    if parts[0] == 'thread':
        at = stream(STREAM_THREAD_LIST) + 4 + THREAD_SIZE * k
        return {'teb': (at + 16, '<Q'), 'stack_start': (at + 24, '<Q'), 'context_size': (at + 40, '<I')}[parts[2]]
    if parts[0] == 'module':
        at = stream(STREAM_MODULE_LIST) + 4 + MODULE_SIZE * k
        return {'base': (at, '<Q'), 'size': (at + 8, '<I'), 'name': (at + 20, '<I')}[parts[2]]
    if parts[0] == 'memory':
        return stream(STREAM_MEMORY_LIST) + 4 + MEMDESC_SIZE * k, '<Q'
    sys.exit('corrupt_dump.py: unknown field ' + name)


def memory_ranges(b, dirs):
    """[(va, size, file offset)] of the captured memory."""
    out = []
    if STREAM_MEMORY_LIST in dirs:
        at = dirs[STREAM_MEMORY_LIST]
        for i in range(struct.unpack_from('<I', b, at)[0]):
            out.append(struct.unpack_from('<QII', b, at + 4 + MEMDESC_SIZE * i))
    if STREAM_MEMORY64_LIST in dirs:
        at = dirs[STREAM_MEMORY64_LIST]
        n, rva = struct.unpack_from('<QQ', b, at)
        for i in range(n):
            va, size = struct.unpack_from('<QQ', b, at + 16 + 16 * i)
            out.append((va, size, rva))
            rva += size
    return out


def file_offset(ranges, va, n):
    """Where [va, va + n) is in the file; ranges sorted by address."""
    k = bisect.bisect_right(ranges, (va, float('inf'))) - 1
    if k >= 0:
        start, size, rva = ranges[k]
        if va + n <= start + size:
            return rva + va - start
    sys.exit('corrupt_dump.py: 0x%x is not in the dump' % va)


def put(b, ranges, va, fmt, value):
    struct.pack_into(fmt, b, file_offset(ranges, va, struct.calcsize(fmt)), value)


def process_memory(b, dirs):
    """(x64, ptr size, pack format, ranges, PEB address) of the dump."""
    x64 = struct.unpack_from('<H', b, dirs[STREAM_SYSTEM_INFO])[0] == ARCH_AMD64
    ps, pf = (8, '<Q') if x64 else (4, '<I')
    ranges = memory_ranges(b, dirs)
    if not x64:  # 32-bit dumps may sign-extend addresses: leave those ranges alone
        ranges = [r for r in ranges if r[0] + r[1] <= 1 << 32]
    # Thread stacks may be captured twice (ThreadList and MemoryList), and
    # the reader may serve either copy: leave them alone.
    at = dirs[STREAM_THREAD_LIST]
    stacks = [struct.unpack_from('<QI', b, at + 4 + THREAD_SIZE * i + 24)
              for i in range(struct.unpack_from('<I', b, at)[0])]
    ranges = sorted(r for r in ranges if not any(s < r[0] + r[1] and r[0] < s + n for s, n in stacks))
    teb = struct.unpack_from('<Q', b, dirs[STREAM_THREAD_LIST] + 4 + 16)[0]
    peb = get(b, ranges, teb + (0x60 if x64 else 0x30), pf)
    return x64, ps, pf, ranges, peb


def get(b, ranges, va, fmt):
    return struct.unpack_from(fmt, b, file_offset(ranges, va, struct.calcsize(fmt)))[0]


def lock_list(b, dirs, n, loop=False):
    """n free critical sections on the loader lock's ProcessLocksList.
    RTL_CRITICAL_SECTION: DebugInfo, LockCount, RecursionCount,
    OwningThread...; RTL_CRITICAL_SECTION_DEBUG: Type and
    CreatorBackTraceIndex, CriticalSection, ProcessLocksList..."""
    x64, ps, pf, ranges, peb = process_memory(b, dirs)
    entry = 0x80 if x64 else 0x40  # a critical section, then its debug record
    slots = []
    for start, size, rva in ranges:
        for at in range((start + 15) // 16 * 16, start + size - entry + 1, entry):
            if len(slots) < n + 1 and not (at <= peb + 0x400 and peb < at + entry):
                slots.append(at)
    if len(slots) < n + 1:
        sys.exit('corrupt_dump.py: room for %d critical sections only' % (len(slots) - 1))
    put(b, ranges, peb + (0x110 if x64 else 0xA0), pf, slots[0])  # PEB.LoaderLock
    links = []  # each one's ProcessLocksList; the loader lock's is the head
    for cs in slots[:n + 1]:
        dbg = cs + entry // 2
        put(b, ranges, cs, pf, dbg)
        put(b, ranges, cs + ps, '<i', -1)  # LockCount: free
        put(b, ranges, cs + ps + 4, '<i', 0)  # RecursionCount
        put(b, ranges, cs + ps + 8, pf, 0)  # OwningThread
        put(b, ranges, dbg + ps, pf, cs)
        links.append(dbg + 2 * ps)
    for k in range(n):
        put(b, ranges, links[k], pf, links[k + 1])  # Flink
    put(b, ranges, links[n], pf, links[1] if loop else links[0])


def loop_heaps(b, dirs, n):
    """n fake heaps (Windows 10 _HEAP offsets, as src/process/heaps.c's
    table has them) with looping lists; the PEB's array names them."""
    x64, ps, pf, ranges, peb = process_memory(b, dirs)
    # SegmentSignature, Signature, VirtualAllocdBlocks, SegmentList, FreeLists
    seg_sig, sig, vab, seg_list, free_lists = (0x10, 0x98, 0x110, 0x120, 0x150) if x64 else \
        (0x08, 0x60, 0x9C, 0xA4, 0xC0)
    stride = 0x200 if x64 else 0x100
    array = max(ranges, key=lambda r: r[1])
    if array[1] < n * ps:
        sys.exit('corrupt_dump.py: no room for the heap array')
    heaps = []
    for start, size, rva in ranges:
        if start == array[0]:
            continue
        for h in range((start + stride - 1) // stride * stride, start + size - stride + 1, stride):
            if len(heaps) < n and not (h <= peb + 0x100 and peb < h + stride):
                heaps.append(h)
    if len(heaps) < n:
        sys.exit('corrupt_dump.py: room for %d heaps only' % len(heaps))
    for k, h in enumerate(heaps):
        loop = h + stride - ps  # a link pointing at itself, never at the head
        put(b, ranges, h + seg_sig, '<I', 0xFFEEFFEE)
        put(b, ranges, h + sig, '<I', 0xEEFFEEFF)
        put(b, ranges, h + seg_list, pf, h + seg_list)  # no segments
        put(b, ranges, h + vab, pf, loop)
        put(b, ranges, h + free_lists, pf, loop)
        put(b, ranges, loop, pf, loop)
        put(b, ranges, array[0] + k * ps, pf, h)
    # NumberOfHeaps, MaximumNumberOfHeaps, ProcessHeaps
    put(b, ranges, peb + (0xE8 if x64 else 0x88), '<I', n)
    put(b, ranges, peb + (0xEC if x64 else 0x8C), '<I', n)
    put(b, ranges, peb + (0xF0 if x64 else 0x90), pf, array[0])


def set_stream(b, stream_type, rva, size):
    """Points the directory entry of stream_type at [rva, rva + size); a
    stream the dump lacks gets an entry in a copy of the directory written
    at the end of the file."""
    n, at = struct.unpack_from('<II', b, 8)
    for i in range(n):
        if struct.unpack_from('<I', b, at + 12 * i)[0] == stream_type:
            struct.pack_into('<III', b, at + 12 * i, stream_type, size, rva)
            return
    entries = bytes(b[at:at + 12 * n])
    new_at = len(b)
    b += entries + struct.pack('<III', stream_type, size, rva)
    struct.pack_into('<II', b, 8, n + 1, new_at)


def many_threads(b, dirs, n):
    at = dirs[STREAM_THREAD_LIST]
    first = bytes(b[at + 4:at + 4 + THREAD_SIZE])
    rva = len(b)
    b += struct.pack('<I', n)
    for k in range(n):
        t = bytearray(first)
        struct.pack_into('<I', t, 0, 0x10000 + k)
        b += t
    set_stream(b, STREAM_THREAD_LIST, rva, 4 + THREAD_SIZE * n)
    # MINIDUMP_THREAD_INFO_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries;
    # MINIDUMP_THREAD_INFO: ThreadId, DumpFlags, DumpError, ExitStatus,
    # CreateTime, ExitTime, KernelTime, UserTime, StartAddress, Affinity.
    rva = len(b)
    b += struct.pack('<III', 12, 64, n)
    for k in range(n):
        b += struct.pack('<IIIIQQQQQQ', 0x10000 + k, 0, 0, 0, 1 << 56, 0, 10000 * k, 10000 * k, 0, 1)
    set_stream(b, STREAM_THREAD_INFO_LIST, rva, 12 + 64 * n)
    name = 'worker'.encode('utf-16-le')
    name_rva = len(b)
    b += struct.pack('<I', len(name)) + name + b'\0\0'
    # MINIDUMP_THREAD_NAME_LIST: count, then { ThreadId, RvaOfThreadName (64 bits) }.
    rva = len(b)
    b += struct.pack('<I', n)
    for k in range(n):
        b += struct.pack('<IQ', 0x10000 + k, name_rva)
    set_stream(b, STREAM_THREAD_NAMES, rva, 4 + 12 * n)


def many_modules(b, n):
    name = 'C:\\m.dll'.encode('utf-16-le')
    name_rva = len(b)
    b += struct.pack('<I', len(name)) + name + b'\0\0'
    rva = len(b)
    b += struct.pack('<I', n)
    for k in range(n):
        m = bytearray(MODULE_SIZE)
        struct.pack_into('<QIIII', m, 0, 0x10000000 + k * 0x2000, 0x1000, 0, 0, name_rva)
        b += m
    set_stream(b, STREAM_MODULE_LIST, rva, 4 + MODULE_SIZE * n)


def many_ranges(b, n):
    data = len(b)
    b += bytes(16)
    rva = len(b)
    b += struct.pack('<I', n)
    for k in range(n):
        b += struct.pack('<QII', 0x50000000 + k * 0x1000, 16, data)
    set_stream(b, STREAM_MEMORY_LIST, rva, 4 + MEMDESC_SIZE * n)


def handle_types(b, n):
    names = []
    for k in range(n):
        text = ('T%d' % k).encode('utf-16-le')
        names.append(len(b))
        b += struct.pack('<I', len(text)) + text + b'\0\0'
    # MINIDUMP_HANDLE_DATA_STREAM: SizeOfHeader, SizeOfDescriptor,
    # NumberOfDescriptors, Reserved; MINIDUMP_HANDLE_DESCRIPTOR_2: Handle,
    # TypeNameRva, ObjectNameRva, Attributes, GrantedAccess, HandleCount,
    # PointerCount, ObjectInfoRva, Reserved0.
    rva = len(b)
    b += struct.pack('<IIII', 16, 40, n, 0)
    for k in range(n):
        b += struct.pack('<QIIIIIIII', 4 * (k + 1), names[k], 0, 0, 0x1F0003, 1, 1, 0, 0)
    set_stream(b, STREAM_HANDLE_DATA, rva, 16 + 40 * n)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    with open(sys.argv[1], 'rb') as f:
        b = bytearray(f.read())
    dirs = streams(b)
    for edit in sys.argv[3:]:
        name, value = edit.split('=', 1)
        if name in ('heaps.loop', 'modules.count', 'memory.count', 'threads.count', 'handles.types', 'locks.list',
                    'locks.loop'):
            {'heaps.loop': lambda: loop_heaps(b, dirs, int(value, 0)),
             'locks.loop': lambda: lock_list(b, dirs, int(value, 0), loop=True),
             'locks.list': lambda: lock_list(b, dirs, int(value, 0)),
             'handles.types': lambda: handle_types(b, int(value, 0)),
             'threads.count': lambda: many_threads(b, dirs, int(value, 0)),
             'modules.count': lambda: many_modules(b, int(value, 0)),
             'memory.count': lambda: many_ranges(b, int(value, 0))}[name]()
            dirs = streams(b)
            continue
        off, fmt = field(b, dirs, name)
        if name.endswith('.name'):
            text = value.encode('ascii').decode('unicode_escape').encode('utf-16-le')
            rva = len(b)
            b += struct.pack('<I', len(text)) + text + b'\0\0'
            struct.pack_into(fmt, b, off, rva)
            continue
        struct.pack_into(fmt, b, off, int(value, 0) & ((1 << (8 * struct.calcsize(fmt))) - 1))
    with open(sys.argv[2], 'wb') as f:
        f.write(b)


main()
