#!/usr/bin/env python3
"""Seeds for fuzz_unwind: full-memory lab dumps cut down to what a stack
walk reads, so that the fuzzer starts from inputs whose walks reach the x64
unwind tables (RUNTIME_FUNCTION, UNWIND_INFO, chains, epilogs) instead of
stopping at the first frame for want of image memory.

    stack_seeds.py OUT_DIR DUMP...

Each DUMP (a full-memory dump, with a Memory64ListStream) becomes
OUT_DIR/NAME.seed.dmp holding its header and every stream written before
the memory, and of the memory only: each thread's stack from its stack
pointer up (STACK_WINDOW bytes), each module's headers page, .pdata and
.xdata sections and the pages its RUNTIME_FUNCTIONs' UNWIND_INFO are on,
and the code pages around every value on those stack
windows that points into a module. Streams written after the memory are
moved after it when they hold no RVAs, and marked unused otherwise. The result stays well under the fuzzer's -max_len.

Layouts: minidumpapiset.h (MINIDUMP_HEADER, MINIDUMP_DIRECTORY,
MINIDUMP_THREAD, MINIDUMP_MODULE, MINIDUMP_MEMORY64_LIST) and winnt.h
(AMD64 CONTEXT: Rsp at 0x98, Rip at 0xF8; the PE section table).
"""
import os
import struct
import sys

PAGE = 0x1000
STACK_WINDOW = 0x4000
THREAD_LIST, MODULE_LIST, MEMORY64_LIST, SYSTEM_INFO = 3, 4, 9, 7
UNWIND_SECTIONS = (b".pdata", b".xdata")
# MiscInfo, MemoryInfoList, ThreadInfoList, SystemMemoryInfo, ProcessVmCounters.
SELF_CONTAINED = (15, 16, 17, 21, 22)


def u16(b, o): return struct.unpack_from("<H", b, o)[0]
def u32(b, o): return struct.unpack_from("<I", b, o)[0]
def u64(b, o): return struct.unpack_from("<Q", b, o)[0]


class Dump:
    def __init__(self, data):
        self.data = data
        if u32(data, 0) != 0x504D444D:
            raise ValueError("not a minidump")
        n, dir_rva = u32(data, 8), u32(data, 12)
        self.dir_rva = dir_rva
        self.streams = [struct.unpack_from("<III", data, dir_rva + 12 * i) for i in range(n)]
        self.ranges = []  # (start, size, file offset)
        m64 = self.stream(MEMORY64_LIST)
        if not m64:
            raise ValueError("no Memory64ListStream (not a full-memory dump)")
        count, off = u64(data, m64[2]), u64(data, m64[2] + 8)
        self.mem_begin = off
        for i in range(count):
            start, size = struct.unpack_from("<QQ", data, m64[2] + 16 + 16 * i)
            self.ranges.append((start, size, off))
            off += size
        self.mem_end = off

    def stream(self, kind):
        for s in self.streams:
            if s[0] == kind:
                return s
        return None

    def read(self, addr, n):
        for start, size, off in self.ranges:
            if start <= addr and addr + n <= start + size:
                return self.data[off + addr - start: off + addr - start + n]
        return None

    def range_of(self, addr):
        for start, size, _ in self.ranges:
            if start <= addr < start + size:
                return start, start + size
        return None


def modules(d):
    s = d.stream(MODULE_LIST)
    if not s:
        return []
    n = u32(d.data, s[2])
    return [(u64(d.data, s[2] + 4 + 108 * i), u32(d.data, s[2] + 4 + 108 * i + 8)) for i in range(n)]


def sections(d, base):
    """(name, rva, size, executable) of a module image in memory."""
    hdr = d.read(base, PAGE)
    if not hdr or hdr[:2] != b"MZ":
        return []
    nt = u32(hdr, 0x3C)
    if nt + 24 > PAGE or hdr[nt:nt + 4] != b"PE\0\0":
        return []
    nsec, opt = u16(hdr, nt + 6), u16(hdr, nt + 20)
    out = []
    for i in range(min(nsec, 96)):
        o = nt + 24 + opt + 40 * i
        if o + 40 > PAGE:
            break
        name = hdr[o:o + 8].rstrip(b"\0")
        vsize, rva, chars = u32(hdr, o + 8), u32(hdr, o + 12), u32(hdr, o + 36)
        out.append((name, rva, vsize, bool(chars & 0x20000020)))
    return out


def cut(d):
    pages = set()

    def keep(lo, hi):
        for p in range(lo & ~(PAGE - 1), hi, PAGE):
            if d.read(p, 1) is not None:
                pages.add(p)

    mods = modules(d)
    code = []  # executable [lo, hi) of every module
    for base, size in mods:
        keep(base, base + PAGE)
        for name, rva, vsize, execu in sections(d, base):
            if name in UNWIND_SECTIONS:
                keep(base + rva, base + rva + vsize)
            if name == b".pdata":
                # UNWIND_INFO is wherever the linker put it (lld: .rdata):
                # keep the page each RUNTIME_FUNCTION points at.
                table = d.read(base + rva, vsize) or b""
                for o in range(0, len(table) - 11, 12):
                    unwind = u32(table, o + 8) & ~1
                    if 0 < unwind < size:
                        keep(base + unwind, base + unwind + 64)
            if execu:
                code.append((base + rva, base + rva + vsize))

    def keep_code_near(v):
        for lo, hi in code:
            if lo <= v < hi:
                keep(max(lo, v - PAGE), min(hi, v + PAGE))
                return

    tl = d.stream(THREAD_LIST)
    stacks = {}
    if tl:
        for i in range(u32(d.data, tl[2])):
            t = tl[2] + 4 + 48 * i
            csize, crva = u32(d.data, t + 40), u32(d.data, t + 44)
            if csize < 0x100:
                continue
            rsp, rip = u64(d.data, crva + 0x98), u64(d.data, crva + 0xF8)
            keep_code_near(rip)
            r = d.range_of(rsp)
            if not r:
                continue
            lo, hi = rsp & ~0xF, min(r[1], rsp + STACK_WINDOW)
            stacks[i] = (lo, hi)
            keep(lo, hi)
            for a in range(lo, hi - 7, 8):
                keep_code_near(u64(d.read(a, 8), 0))

    # Contiguous kept pages become one range each.
    runs = []
    for p in sorted(pages):
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + PAGE
        else:
            runs.append([p, p + PAGE])

    out = bytearray(d.data[:d.mem_begin])
    data_rva = len(out)
    new_ranges = []
    for lo, hi in runs:
        new_ranges.append((lo, hi - lo, len(out)))
        for p in range(lo, hi, PAGE):  # a run may span captured ranges
            out += d.read(p, PAGE)
    m64_rva = len(out)
    out += struct.pack("<QQ", len(new_ranges), data_rva)
    for lo, size, _ in new_ranges:
        out += struct.pack("<QQ", lo, size)
    # The directory goes last (writers often put it after the memory).
    # Streams written after the memory move along when they hold no RVAs
    # of their own; the others are marked unused.
    entries = []
    for kind, size, rva in d.streams:
        if kind == MEMORY64_LIST:
            entries.append((kind, 16 + 16 * len(new_ranges), m64_rva))
        elif rva + size <= d.mem_begin:
            entries.append((kind, size, rva))
        elif kind in SELF_CONTAINED and rva >= d.mem_end:
            entries.append((kind, size, len(out)))
            out += d.data[rva:rva + size]
        else:
            entries.append((0, 0, 0))
    struct.pack_into("<I", out, 12, len(out))
    for e in entries:
        out += struct.pack("<III", *e)
    # Each thread's stack descriptor: its window, at its new place.
    if tl:
        for i in range(u32(d.data, tl[2])):
            t = tl[2] + 4 + 48 * i
            lo_hi = stacks.get(i)
            start = size = rva = 0
            if lo_hi:
                for lo, sz, off in new_ranges:
                    if lo <= lo_hi[0] < lo + sz:
                        start, rva = lo_hi[0], off + lo_hi[0] - lo
                        size = min(lo_hi[1], lo + sz) - start
                        break
            struct.pack_into("<QII", out, t + 24, start, size, rva)
    return bytes(out)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in sys.argv[2:]:
        try:
            with open(path, "rb") as f:
                seed = cut(Dump(f.read()))
        except (ValueError, struct.error) as e:
            print(f"{path}: skipped ({e})", file=sys.stderr)
            continue
        name = os.path.basename(path).rsplit(".", 1)[0] + ".seed.dmp"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(seed)
        print(f"{name}: {len(seed)} bytes")


if __name__ == "__main__":
    main()
