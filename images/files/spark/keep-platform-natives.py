#!/usr/bin/env python3
"""keep-platform-natives PATH...: drop from every jar under PATH the native libraries of platforms
this image never runs on, in place, and print what each jar kept and lost.

Which entries are native, and for which platform, is read from the entries' own bytes, not from a
list: ELF headers (machine, class; musl's loader or libc in the dynamic strings), Mach-O and PE
magic, AIX's XCOFF. What stays is ELF for this machine and glibc (Linux). Entries are deleted with `zip -d`, which
rewrites no other entry: classes, resources and signature files keep upstream's bytes, and a
signed jar's remaining entries still verify against its manifest. A jar that had natives for
other platforms but none for this one is reported (its Java fallback, if any, will be used).

Fails when a jar cannot be read, when `zip -d` fails, or when a rewritten jar does not test
clean.
"""

import os
import platform
import re
import struct
import subprocess
import sys
import zipfile

# ELF e_machine for the machines Debian images run on.
ELF_MACHINE = {"x86_64": 62, "aarch64": 183, "ppc64le": 21, "s390x": 22, "armv7l": 40}
MACHO_MAGIC = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}
# 0xcafebabe is both a universal Mach-O binary and a Java class file: told apart by the name.
FAT_MAGIC = b"\xca\xfe\xba\xbe"
NATIVE_SUFFIXES = (".so", ".dylib", ".jnilib", ".dll", ".a")


def elf_os(osabi, data):
    """Which C library, so which OS, an ELF file is for: the ELF OS/ABI byte when it names one;
    else glibc when it asks for glibc's versioned symbols or libc.so.6, musl for musl's loader or
    libc; a library that links no shared library at all loads on any Linux of its machine. Any
    other (FreeBSD's libc.so.7, Solaris' libm.so.2) is another OS's."""
    if osabi not in (0, 3):  # 0: System V (most Linux builds), 3: GNU/Linux
        return f"osabi-{osabi}"
    if b"ld-musl-" in data or b"libc.musl-" in data:
        return "musl"
    if b"GLIBC_" in data or b"libc.so.6" in data:
        return "gnu"
    if re.search(rb"\.so(\.[0-9]+)*\x00", data) is None:
        return "gnu"
    return "other"


def platform_of(name, data):
    """`None` for a non-native entry, else a short platform description."""
    head = data[:64]
    if head.startswith(b"\x7fELF") and len(head) >= 20:
        bits = {1: 32, 2: 64}.get(head[4], 0)
        endian = "<" if head[5] == 1 else ">"
        (machine,) = struct.unpack(endian + "H", head[18:20])
        return ("elf", machine, bits, elf_os(head[7], data))
    if head[:2] in (b"\x01\xdf", b"\x01\xf7") and name.lower().endswith(NATIVE_SUFFIXES):
        return ("xcoff",)  # AIX's object format (32- and 64-bit)
    if head.startswith(b"<bigaf>"):
        return ("xcoff",)  # AIX's archive format
    if head[:4] in MACHO_MAGIC:
        return ("macho",)
    if head[:4] == FAT_MAGIC and not name.endswith(".class"):
        return ("macho",)
    if head.startswith(b"MZ") and name.lower().endswith((".dll", ".exe", ".jnilib", ".so")):
        return ("pe",)
    if name.lower().endswith(NATIVE_SUFFIXES) and not name.endswith("/"):
        # A native by name whose bytes are none of the above (a text stub, an archive): keep it,
        # and say so, rather than guess.
        return ("unknown",)
    return None


def ours(kind):
    machine = ELF_MACHINE.get(platform.machine())
    if kind[0] == "unknown":
        return True
    return kind[0] == "elf" and kind[1] == machine and kind[2] == 64 and kind[3] == "gnu"


def jars(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, _, files in os.walk(path):
            for f in sorted(files):
                if f.endswith(".jar"):
                    yield os.path.join(root, f)


def strip(jar):
    """Drops `jar`'s foreign natives; returns the bytes the jar lost."""
    drop, keep = [], []
    with zipfile.ZipFile(jar) as z:
        for info in z.infolist():
            if info.is_dir() or info.filename.endswith(".class"):
                continue
            with z.open(info) as f:
                kind = platform_of(info.filename, f.read())
            if kind is not None:
                (keep if ours(kind) else drop).append(info.filename)
    if not drop:
        return 0
    before = os.path.getsize(jar)
    # zip reads names as wildcard patterns; -nw makes them literal.
    for i in range(0, len(drop), 200):
        subprocess.run(["zip", "-q", "-nw", "-d", jar, *drop[i : i + 200]], check=True)
    with zipfile.ZipFile(jar) as z:
        bad = z.testzip()
        if bad is not None:
            sys.exit(f"keep-platform-natives: {jar}: {bad} is corrupt after zip -d")
        left = set(z.namelist())
    still = [n for n in drop if n in left]
    if still:
        sys.exit(f"keep-platform-natives: {jar}: zip -d left {still[:3]}")
    lost = before - os.path.getsize(jar)
    name = os.path.basename(jar)
    print(
        f"{name}: dropped {len(drop)} foreign natives ({lost / 1e6:.1f} MB), "
        f"kept {len(keep)}: {' '.join(keep) or 'none'}"
    )
    if not keep:
        print(f"{name}: note: no native for {platform.machine()} glibc")
    return lost


def main(paths):
    if not paths:
        sys.exit("usage: keep-platform-natives PATH...")
    machine = platform.machine()
    if machine not in ELF_MACHINE:
        sys.exit(f"keep-platform-natives: unknown machine {machine}")
    total = sum(strip(jar) for jar in jars(paths))
    print(f"keep-platform-natives: {machine} glibc: {total / 1e6:.1f} MB of other platforms' natives dropped")


if __name__ == "__main__":
    main(sys.argv[1:])
