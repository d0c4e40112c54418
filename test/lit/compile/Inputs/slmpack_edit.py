#!/usr/bin/env python3
"""Edits a copy of a .slmpack artifact for bad-input tests (docs/ARTIFACT.md).
  slmpack_edit.py IN OUT feature OLD NEW   rename a required CPU feature, fix the checksum
  slmpack_edit.py IN OUT version N         set the format version, fix the checksum
  slmpack_edit.py IN OUT magic             break the magic
  slmpack_edit.py IN OUT flip OFFSET       flip one byte (the checksum is left stale)
  slmpack_edit.py IN OUT tamper OFFSET     flip one byte and fix the checksum (a signature
                                           cannot be fixed)"""
import struct
import sys

MASK = (1 << 64) - 1


def slmhash64(data):
    h = (0x9E3779B97F4A7C15 ^ len(data)) & MASK
    padded = data + b"\0" * (-len(data) % 8)
    for (w,) in struct.iter_unpack("<Q", padded):
        h ^= (w * 0xFF51AFD7ED558CCD) & MASK
        h = (((h << 31) | (h >> 33)) & MASK) * 0x9E3779B97F4A7C15 & MASK
    return h ^ (h >> 33)


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if byte < 0x80:
            return value, i
        shift += 7


def encode_varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def fields(message):
    """(field number, wire type, raw bytes of the whole field, payload) in order."""
    i = 0
    while i < len(message):
        start = i
        key, i = varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(message, i)
            payload = None
        elif wire == 2:
            size, i = varint(message, i)
            payload, i = message[i:i + size], i + size
        else:
            i += 8 if wire == 1 else 4
            payload = None
        yield number, wire, message[start:i], payload


def length_delimited(number, payload):
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def rename_feature(manifest, old, new):
    """Manifest field 2 is the Target; its field 5 lists the required features."""
    out = b""
    for number, wire, raw, payload in fields(manifest):
        if number == 2 and wire == 2:
            target = b"".join(length_delimited(5, new) if (n, w, p) == (5, 2, old) else r
                              for n, w, r, p in fields(payload))
            raw = length_delimited(2, target)
        out += raw
    return out


def fix_checksum(data):
    data[72:80] = b"\0" * 8
    data[72:80] = struct.pack("<Q", slmhash64(bytes(data)))


src, dst, action = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
if action == "feature":
    start, size, code = struct.unpack("<QQQ", data[24:48])
    manifest = rename_feature(bytes(data[start:start + size]), sys.argv[4].encode(), sys.argv[5].encode())
    assert start + len(manifest) <= code, "no room before the code section"
    data[start:code] = manifest + b"\0" * (code - start - len(manifest))
    data[32:40] = struct.pack("<Q", len(manifest))
    fix_checksum(data)
elif action == "version":
    data[8:12] = struct.pack("<I", int(sys.argv[4]))
    fix_checksum(data)
elif action == "magic":
    data[0:8] = b"NOTAPACK"
elif action == "flip":
    data[int(sys.argv[4])] ^= 0x01
elif action == "tamper":
    data[int(sys.argv[4])] ^= 0x01
    fix_checksum(data)
else:
    sys.exit("unknown action " + action)
open(dst, "wb").write(data)
