#!/usr/bin/env python3
"""link-duplicate-libs DIR...: wheels cannot hold symlinks, so a wheel that ships a shared library
under its versioned names (libarrow_python.so, .so.1900, .so.1900.1.0) ships identical copies.
Replace each copy, within one directory, by a relative symlink to the longest-named one, which is
the chain an ordinary install makes. Only files named lib*.so* with identical bytes are touched.
"""

import hashlib
import os
import sys
from collections import defaultdict


def main(dirs):
    saved = 0
    for top in dirs:
        for root, _, files in os.walk(top):
            groups = defaultdict(list)
            for name in files:
                path = os.path.join(root, name)
                if name.startswith("lib") and ".so" in name and not os.path.islink(path):
                    with open(path, "rb") as f:
                        groups[hashlib.sha256(f.read()).hexdigest()].append(name)
            for names in groups.values():
                if len(names) < 2:
                    continue
                target = max(names, key=lambda n: (len(n), n))
                for name in sorted(names):
                    if name != target:
                        path = os.path.join(root, name)
                        saved += os.path.getsize(path)
                        os.remove(path)
                        os.symlink(target, path)
                        print(f"{path} -> {target}")
    print(f"link-duplicate-libs: {saved / 1e6:.1f} MB of identical library copies linked")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: link-duplicate-libs DIR...")
    main(sys.argv[1:])
