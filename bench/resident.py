#!/usr/bin/env python3
"""Which pages of a running process are resident, and what they hold.

  bench/resident.py PID [--symbols N]

For the process's own executable: resident KiB per ELF section (from /proc/PID/pagemap, which
the process's own user or root may read), and with --symbols the N symbols (by origin: Swift module, BoringSSL, ICU, C) whose pages
are resident; for every other mapping: resident KiB per file, and anonymous memory per mapping
kind (heap, stacks, arenas). This is how docs/performance.md finds where RSS goes; it reads, it
changes nothing. bench/run.py --resident DIR writes this report at each footprint instant.
"""
import argparse
import functools
import bisect
import os
import re
import struct
import subprocess
import sys
from collections import defaultdict

PAGE = os.sysconf("SC_PAGE_SIZE")


def backing(name, exe):
    """What backs a mapping: the executable's own file, another file (a shared library), or
    nothing (heap, stacks, arenas). bench/run.py splits RSS the same way."""
    return "executable" if name == exe else "libraries" if name.startswith("/") else "anonymous"


def mappings(pid):
    """(start, end, perms, offset, name) per line of /proc/PID/maps."""
    out = []
    for line in open(f"/proc/{pid}/maps"):
        f = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in f[0].split("-"))
        out.append((start, end, f[1], int(f[2], 16), f[5].strip() if len(f) > 5 else ""))
    return out


def present_pages(pid, start, end):
    """Virtual page addresses in [start, end) that are present in memory (pagemap bit 63)."""
    with open(f"/proc/{pid}/pagemap", "rb") as pm:
        pm.seek(start // PAGE * 8)
        data = pm.read((end - start) // PAGE * 8)
    pages = []
    for i, (entry,) in enumerate(struct.iter_unpack("<Q", data)):
        if entry >> 63:
            pages.append(start + i * PAGE)
    return pages


def section_of(secs, starts, off):
    """The section a page at `off` belongs to: the one it starts in, else one that starts
    inside it (a page can hold the end of one section and the start of the next)."""
    i = bisect.bisect_right(starts, off) - 1
    if i >= 0 and off < secs[i][0] + secs[i][1]:
        return secs[i][2]
    if i + 1 < len(secs) and secs[i + 1][0] < off + PAGE:
        return secs[i + 1][2]
    return "(between)"


@functools.lru_cache
def first_load_vaddr(exe):
    for line in subprocess.run(["readelf", "-lW", exe], capture_output=True, text=True, check=True).stdout.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            return int(f[2], 16) - int(f[1], 16)  # VirtAddr - Offset of the first (offset 0) one
    return 0


@functools.lru_cache
def sections(exe):
    """(address, size, name) of the allocated sections, from readelf."""
    out = []
    for line in subprocess.run(["readelf", "-SW", exe], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        # Allocated sections with an address; not .tbss (TLS), whose addresses overlap others.
        if m and "A" in m.group(4) and "T" not in m.group(4) and int(m.group(2), 16):
            out.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1)))
    return sorted(out)


def origin(name):
    """Where a symbol comes from, by its name: the Swift module, BoringSSL, ICU, or C."""
    if name.startswith(("CCryptoBoringSSL", "_CCryptoBoringSSL")):
        return "BoringSSL (swift-crypto)"
    if name.startswith(("CNIOBoringSSL", "_CNIOBoringSSL")):
        return "BoringSSL (swift-nio-ssl)"
    if re.search(r"_swift_\d+$|^_?(u|ucol|ubrk|udat|unum|uloc|ures|ucnv|utrans|uprv|icu)_", name) or "icu_" in name:
        return "ICU"
    m = re.match(r"\$s(\d+)", name)
    if m:
        n = int(m.group(1))
        return "swift " + name[2 + len(m.group(1)):2 + len(m.group(1)) + n]
    if name.startswith(("swift_", "_swift", "$s")):
        return "swift runtime"
    if name.startswith(("sqlite3", "_sqlite")):
        return "sqlite"
    return "C/other"


@functools.lru_cache
def symbols(exe):
    """Sorted (address, size, name) of defined symbols with a size."""
    out = []
    nm = subprocess.run(["nm", "-S", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 4:
            out.append((int(f[0], 16), int(f[1], 16), f[3]))
    return sorted(out)


def report(pid, top=0, out=sys.stdout):
    exe = os.path.realpath(f"/proc/{pid}/exe")
    maps = mappings(pid)
    # Load bias: where the file's offset 0 is mapped, less the first PT_LOAD's address (0 for
    # a position-independent executable, the link address otherwise).
    base = min(s for s, _, _, off, n in maps if n == exe and off == 0) - first_load_vaddr(exe)
    secs = sections(exe)
    sec_starts = [s[0] for s in secs]
    per_section = defaultdict(int)
    exe_pages = []
    per_file = defaultdict(int)
    anon = defaultdict(int)
    for start, end, perms, _, name in maps:
        if name in ("[vsyscall]",):
            continue
        pages = present_pages(pid, start, end)
        if not pages:
            continue
        kib = len(pages) * PAGE // 1024
        what = backing(name, exe)
        if what == "executable":
            exe_pages += pages
            for p in pages:
                per_section[section_of(secs, sec_starts, p - base)] += PAGE // 1024
        elif what == "libraries":
            per_file[os.path.basename(name)] += kib
        else:
            kind = name or ("arena/mmap" if "rw" in perms else "guard")
            anon[kind] += kib
    w = lambda s: out.write(s + "\n")  # noqa: E731
    w(f"executable {exe}: {len(exe_pages) * PAGE // 1024} KiB resident")
    for name, kib in sorted(per_section.items(), key=lambda x: -x[1]):
        w(f"  {kib:8} KiB  {name}")
    w(f"libraries: {sum(per_file.values())} KiB")
    for name, kib in sorted(per_file.items(), key=lambda x: -x[1]):
        w(f"  {kib:8} KiB  {name}")
    w(f"anonymous: {sum(anon.values())} KiB")
    for name, kib in sorted(anon.items(), key=lambda x: -x[1]):
        w(f"  {kib:8} KiB  {name}")
    if top:
        syms = symbols(exe)
        resident = set(p - base for p in exe_pages)
        by_origin = defaultdict(int)
        by_section = defaultdict(list)
        seen = set()
        for addr, size, name in syms:
            if addr in seen:
                continue  # an alias of a symbol already counted
            seen.add(addr)
            first, last = addr // PAGE, (addr + size - 1) // PAGE
            n = sum(1 for pg in range(first, last + 1) if pg * PAGE in resident)
            if n:
                # Bytes of the symbol on resident pages (at most its size), so a large table
                # with a few resident pages counts for those pages only.
                share = min(size, n * PAGE)
                by_origin[origin(name)] += share
                i = bisect.bisect_right(sec_starts, addr) - 1
                by_section[secs[i][2] if i >= 0 else "?"].append((share, name))
        w("resident symbol bytes by origin (KiB; a symbol counts with the bytes it has on resident pages):")
        for name, b in sorted(by_origin.items(), key=lambda x: -x[1])[:top]:
            w(f"  {b // 1024:8}  {name}")
        for sec in (".rodata", ".data.rel.ro", ".data"):
            w(f"largest resident symbols in {sec} (KiB):")
            for b, name in sorted(by_section.get(sec, []), reverse=True)[:top]:
                w(f"  {b // 1024:8}  {name[:110]}")
    return {"executable_kib": len(exe_pages) * PAGE // 1024, "sections": dict(per_section),
            "libraries": dict(per_file), "anonymous": dict(anon)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("pid", type=int)
    ap.add_argument("--symbols", type=int, default=0, help="also list the N largest symbol origins")
    a = ap.parse_args()
    report(a.pid, a.symbols)
