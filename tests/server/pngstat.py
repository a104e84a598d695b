#!/usr/bin/env python3
"""Measures a PNG (standard library only): prints
  WIDTH HEIGHT CHANNELS MAX_CHANNEL_DIFF HF_ENERGY
MAX_CHANNEL_DIFF is the largest |R-G|,|G-B| over pixels (0 for grey);
HF_ENERGY the mean absolute difference between horizontal and vertical
neighbours of the luma (high-frequency detail). 8-bit, non-interlaced."""
import struct, sys, zlib


def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and interlace == 0 and ctype in (0, 2, 6), hdr
    ch = {0: 1, 2: 3, 6: 4}[ctype]
    raw, stride, rows, prev = zlib.decompress(idat), w * ch, [], bytearray(w * ch)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], prev[i - ch] if i >= ch else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, ch, rows


def main():
    w, h, ch, rows = read(sys.argv[1])
    diff, luma = 0, []
    for r in rows:
        lr = []
        for x in range(w):
            p = r[x * ch:x * ch + ch]
            if ch >= 3:
                diff = max(diff, abs(p[0] - p[1]), abs(p[1] - p[2]))
                lr.append(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
            else:
                lr.append(p[0])
        luma.append(lr)
    e, n = 0.0, 0
    for y in range(h):
        for x in range(w):
            if x + 1 < w: e += abs(luma[y][x + 1] - luma[y][x]); n += 1
            if y + 1 < h: e += abs(luma[y + 1][x] - luma[y][x]); n += 1
    print(w, h, ch, diff, "%.3f" % (e / max(n, 1)))


if __name__ == "__main__":
    main()
