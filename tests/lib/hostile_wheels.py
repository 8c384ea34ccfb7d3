#!/usr/bin/env python3
"""Writes hostile and broken wheels into a directory, one per case, each
named CASE-1.0-py3-none-any.whl, and prints "CASE EXPECT WHAT" lines:
EXPECT is "refuse" (an installer must refuse it: WHAT is what its error
names) or "install" (a valid wheel, however odd: it must install, contained
in the target, byte for byte; WHAT is a file it holds). Generated, never
committed as binaries."""
import base64, hashlib, io, os, sys, unicodedata, warnings, zipfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
warnings.simplefilter("ignore")  # zipfile warns about duplicate names


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel(case, files, record=None, extra_record=(), omit_from_record=(), raw=None, record_names=None,
          extra_files=()):
    """files: list of (ZipInfo or name, bytes). record_names: the name each
    file has in RECORD, where it differs. extra_files: written, never listed."""
    di = f"{case}-1.0.dist-info"
    path = os.path.join(out, f"{case}-1.0-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        rec = ""
        for info, data in files:
            z.writestr(info, data)
            name = info.filename if isinstance(info, zipfile.ZipInfo) else info
            if name not in omit_from_record:
                rec += f"{(record_names or {}).get(name, name)},{digest(data)},{len(data)}\n"
        for info, data in extra_files:
            z.writestr(info, data)
        for line in extra_record:
            rec += line + "\n"
        meta = f"Name: {case}\nVersion: 1.0\n".encode()
        z.writestr(f"{di}/METADATA", meta)
        z.writestr(f"{di}/WHEEL", WHEEL)
        rec += f"{di}/METADATA,{digest(meta)},{len(meta)}\n{di}/WHEEL,{digest(WHEEL)},{len(WHEEL)}\n{di}/RECORD,,\n"
        z.writestr(f"{di}/RECORD", record if record is not None else rec)
    return path


# every wheel carries the metadata real installers (pip) require, so that
# an installer refuses a case for what the case is about
WHEEL = b"Wheel-Version: 1.0\nGenerator: linklab-hostile\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def special(name, mode, data=b""):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info, data


good = b"print('hello')\n"
cases = []

wheel("dotdot", [("../../escaped.py", good)]); cases.append(("dotdot", "../../escaped.py"))
wheel("absolute", [("/tmp/linklab-escaped.py", good)]); cases.append(("absolute", "/tmp/linklab-escaped.py"))
wheel("symlink", [special("symlink/evil", 0o120777, b"../../../../etc/passwd")]); cases.append(("symlink", "symlink/evil"))
# zip has no hardlink entries; the nearest hostile kind is a device node
wheel("device", [special("device/tty", 0o020644)]); cases.append(("device", "device/tty"))
wheel("duplicate", [("duplicate/a.py", good), ("duplicate/a.py", b"other\n")]); cases.append(("duplicate", "duplicate/a.py"))
wheel("casepair", [("casepair/Foo.py", good), ("casepair/foo.py", good)]); cases.append(("casepair", "casepair/foo.py"))
wheel("hashmismatch", [("hashmismatch/a.py", good)], omit_from_record=("hashmismatch/a.py",),
      extra_record=[f"hashmismatch/a.py,{digest(b'not this')},{len(good)}"]); cases.append(("hashmismatch", "hashmismatch/a.py"))
wheel("recordmissing", [("recordmissing/a.py", good)],
      extra_record=[f"recordmissing/gone.py,{digest(good)},{len(good)}"]); cases.append(("recordmissing", "recordmissing/gone.py"))
wheel("unlisted", [("unlisted/a.py", good), ("unlisted/sneaky.py", good)],
      omit_from_record=("unlisted/sneaky.py",)); cases.append(("unlisted", "unlisted/sneaky.py"))
# a 4,000-byte path: 20 components of 199 bytes
long = "longpath/" + "/".join(["d" * 199] * 20) + ".py"
wheel("longpath", [(long, good)]); cases.append(("longpath", "name longer than 1024 bytes"))

# truncated: a good wheel cut in half
p = wheel("truncated", [("truncated/big.py", os.urandom(200000))])
size = os.path.getsize(p)
with open(p, "r+b") as f:
    f.truncate(size // 2)
cases.append(("truncated", "truncated"))

# declared sizes lie: the central directory and local header say 10 bytes
p = wheel("sizelie", [("sizelie/a.py", good * 100)])
data = bytearray(open(p, "rb").read())
name = b"sizelie/a.py"
real = len(good * 100).to_bytes(4, "little")
for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
    i = data.find(sig)
    while i >= 0:
        hdr_name_off = 30 if sig == b"PK\x03\x04" else 46
        if data[i + hdr_name_off:i + hdr_name_off + len(name)] == name:
            assert data[i + off:i + off + 4] == real
            data[i + off:i + off + 4] = (10).to_bytes(4, "little")
        i = data.find(sig, i + 1)
open(p, "wb").write(data)
cases.append(("sizelie", "sizelie/a.py"))

# zip bomb: 100 MB of zeros deflate to about 100 KB
wheel("bomb", [("bomb/zeros.bin", bytes(100 << 20))]); cases.append(("bomb", "bomb/zeros.bin"))

# a name that is not UTF-8: written as ASCII, then patched in both headers
p = wheel("badutf8", [("badutf8/nameXX.py", good)])
data = open(p, "rb").read().replace(b"badutf8/nameXX.py", b"badutf8/name\xff\xfe.py")
open(p, "wb").write(data)
cases.append(("badutf8", "badutf8/name"))

# an empty archive
with zipfile.ZipFile(os.path.join(out, "empty-1.0-py3-none-any.whl"), "w"):
    pass
cases.append(("empty", "no entries"))

# valid wheels that broke the reference installer: each must install whole,
# inside the target, under the names the archive has
for case, what in cases:
    print(case, "refuse", what)
installs = []
# a component " .." (a leading space) is a name, not a way up: an installer
# that trims it writes beside the target (the scenario keeps a sentinel
# there) or into the cache directory
wheel("leadspace", [(" ../important.txt", good)]); installs.append(("leadspace", " ../important.txt"))
wheel("leadcache", [(" ../cache/sentinel.txt", good)]); installs.append(("leadcache", " ../cache/sentinel.txt"))
# a decomposed (NFD) name, as pip keeps it: the disk gets these bytes
nfd = unicodedata.normalize("NFD", "nfd/caf\u00e9.py")
wheel("nfd", [(nfd, good)]); installs.append(("nfd", nfd))
for case, what in installs:
    print(case, "install", what)
refusals = []
# RECORD names the NFC form of a file the zip holds decomposed: the archive's
# name is not in RECORD
wheel("nfdmix", [(nfd.replace("nfd/", "nfdmix/"), good)],
      record_names={nfd.replace("nfd/", "nfdmix/"): unicodedata.normalize("NFC", nfd.replace("nfd/", "nfdmix/"))})
refusals.append(("nfdmix", "nfdmix/"))
# a signature file RECORD need not list must not hide a row naming a file
# the wheel does not have
wheel("jws", [("jws/a.py", good)], extra_record=[f"jws/ghost.py,{digest(good)},{len(good)}"],
      extra_files=[("jws-1.0.dist-info/RECORD.jws", b"{}")])
refusals.append(("jws", "jws/ghost.py"))
for case, what in refusals:
    print(case, "refuse", what)

# wheels for the cases that are about layouts and caches, not one wheel:
# two versions of pk, and two tool-1.0 that differ only by an exec bit
extra = os.path.join(out, "extra")
os.makedirs(extra, exist_ok=True)
def versions(dist, nfiles):
    """dist-1.0 and dist-2.0, nfiles files each, every file naming its version"""
    for v in ("1.0", "2.0"):
        d = os.path.join(extra, f"{dist}-{v}")
        os.makedirs(d, exist_ok=True)
        di = f"{dist}-{v}.dist-info"
        data = f"VERSION = '{v}'\n".encode() * 8
        meta = f"Name: {dist}\nVersion: {v}\n".encode()
        with zipfile.ZipFile(os.path.join(d, f"{dist}-{v}-py3-none-any.whl"), "w") as z:
            rec = ""
            for i in range(nfiles):
                z.writestr(f"{dist}/m{i}.py", data)
                rec += f"{dist}/m{i}.py,{digest(data)},{len(data)}\n"
            z.writestr(f"{di}/METADATA", meta)
            z.writestr(f"{di}/WHEEL", WHEEL)
            z.writestr(f"{di}/RECORD", rec + f"{di}/METADATA,{digest(meta)},{len(meta)}\n"
                       f"{di}/WHEEL,{digest(WHEEL)},{len(WHEEL)}\n{di}/RECORD,,\n")


versions("pk", 20)    # the layout cases
versions("mv", 3000)  # enough files that two installs at once would interleave
for mode in (0o644, 0o755):
    d = os.path.join(extra, f"tool-{mode:o}")
    os.makedirs(d, exist_ok=True)
    script = b"#!/bin/sh\necho tool\n"
    meta = b"Name: tool\nVersion: 1.0\n"
    with zipfile.ZipFile(os.path.join(d, "tool-1.0-py3-none-any.whl"), "w") as z:
        info = zipfile.ZipInfo("tool/run.sh")
        info.create_system = 3
        info.external_attr = (0o100000 | mode) << 16
        z.writestr(info, script)
        z.writestr("tool-1.0.dist-info/METADATA", meta)
        z.writestr("tool-1.0.dist-info/WHEEL", WHEEL)
        z.writestr("tool-1.0.dist-info/RECORD", f"tool/run.sh,{digest(script)},{len(script)}\n"
                   f"tool-1.0.dist-info/METADATA,{digest(meta)},{len(meta)}\n"
                   f"tool-1.0.dist-info/WHEEL,{digest(WHEEL)},{len(WHEEL)}\ntool-1.0.dist-info/RECORD,,\n")

# one 8 MiB file (two copies of it do not fit a 12 MiB tmpfs)
d = os.path.join(extra, "big-1.0")
os.makedirs(d, exist_ok=True)
big = os.urandom(8 << 20)
meta = b"Name: big\nVersion: 1.0\n"
with zipfile.ZipFile(os.path.join(d, "big-1.0-py3-none-any.whl"), "w") as z:
    z.writestr("big/blob.bin", big)
    z.writestr("big-1.0.dist-info/METADATA", meta)
    z.writestr("big-1.0.dist-info/WHEEL", WHEEL)
    z.writestr("big-1.0.dist-info/RECORD", f"big/blob.bin,{digest(big)},{len(big)}\n"
               f"big-1.0.dist-info/METADATA,{digest(meta)},{len(meta)}\n"
               f"big-1.0.dist-info/WHEEL,{digest(WHEEL)},{len(WHEEL)}\nbig-1.0.dist-info/RECORD,,\n")
