#!/usr/bin/env python3
"""Draws the demo school's stamp and signatory's signature (demo/stamp.png, demo/signature.png).

Plain Python (zlib, math): a round blue stamp with the school's initials and « CACHET », and a
handwritten-looking signature stroke. Run from the repository root; the output is committed.
"""
import math
import struct
import zlib

FONT = {  # 5 x 7 capitals
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "C": ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "H": ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
    "I": ["01110", "00100", "00100", "00100", "00100", "00100", "01110"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "U": ["10001", "10001", "10001", "10001", "10001", "10001", "01110"],
    "-": ["00000", "00000", "00000", "11111", "00000", "00000", "00000"],
    " ": ["00000"] * 7,
}


def png(path, width, height, pixels):
    raw = b"".join(
        b"\x00" + bytes(c for px in pixels[y * width:(y + 1) * width] for c in px)
        for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def blend(pixels, width, x, y, colour, alpha):
    if 0 <= x < width and 0 <= y < len(pixels) // width and alpha > 0:
        r, g, b, a = pixels[y * width + x]
        a2 = min(255, a + int(alpha * 255))
        pixels[y * width + x] = (colour[0], colour[1], colour[2], a2)


def text(pixels, width, s, cx, cy, scale, colour, angle=0.0):
    w = len(s) * 6 * scale
    for i, ch in enumerate(s):
        rows = FONT[ch]
        for ry, row in enumerate(rows):
            for rx, bit in enumerate(row):
                if bit != "1":
                    continue
                for sy in range(scale):
                    for sx in range(scale):
                        px = i * 6 * scale + rx * scale + sx - w / 2
                        py = ry * scale + sy - 7 * scale / 2
                        x = cx + px * math.cos(angle) - py * math.sin(angle)
                        y = cy + px * math.sin(angle) + py * math.cos(angle)
                        blend(pixels, width, int(round(x)), int(round(y)), colour, 0.9)


def text_on_circle(pixels, width, s, cx, cy, radius, scale, colour, top=True):
    step = 6 * scale / radius
    start = -math.pi / 2 - step * (len(s) - 1) / 2 if top else math.pi / 2 + step * (len(s) - 1) / 2
    for i, ch in enumerate(s):
        a = start + (step * i if top else -step * i)
        x = cx + radius * math.cos(a)
        y = cy + radius * math.sin(a)
        text(pixels, width, ch, x, y, scale, colour, a + (math.pi / 2 if top else -math.pi / 2))


def stamp(path):
    size = 240
    blue = (30, 60, 160)
    pixels = [(blue[0], blue[1], blue[2], 0)] * (size * size)
    c = size / 2
    for y in range(size):
        for x in range(size):
            d = math.hypot(x + 0.5 - c, y + 0.5 - c)
            for r, w in ((112, 5), (84, 2.5)):
                cover = max(0.0, min(1.0, w / 2 + 0.5 - abs(d - r)))
                if cover:
                    blend(pixels, size, x, y, blue, cover * 0.9)
    text_on_circle(pixels, size, "ECOLE SUPERIEURE", c, c, 98, 2, blue, top=True)
    text_on_circle(pixels, size, "DEMO - PARIS", c, c, 98, 2, blue, top=False)
    text(pixels, size, "CACHET", c, c - 14, 4, blue)
    text(pixels, size, "ESD", c, c + 22, 4, blue)
    png(path, size, size, pixels)


def signature(path):
    width, height = 360, 120
    ink = (20, 30, 90)
    pixels = [(ink[0], ink[1], ink[2], 0)] * (width * height)
    n = 2400
    for i in range(n):
        t = i / n
        # A cursive-like run of loops drifting to the right, then a flourish underneath.
        x = 25 + 290 * t + 18 * math.sin(2 * math.pi * 7 * t)
        y = 58 - 26 * math.sin(2 * math.pi * 3.5 * t) * math.exp(-1.2 * t) + 16 * math.cos(2 * math.pi * 7 * t)
        pen = 1.6 + 1.2 * math.sin(math.pi * t)
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                cover = max(0.0, min(1.0, pen + 0.5 - math.hypot(dx, dy)))
                blend(pixels, width, int(x) + dx, int(y) + dy, ink, cover * 0.35)
    for i in range(900):
        t = i / 900
        x = 40 + 290 * t
        y = 98 + 6 * math.sin(math.pi * t) - 10 * t * t
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                cover = max(0.0, min(1.0, 1.4 - math.hypot(dx, dy)))
                blend(pixels, width, int(x) + dx, int(y) + dy, ink, cover * 0.4)
    png(path, width, height, pixels)


if __name__ == "__main__":
    stamp("demo/stamp.png")
    signature("demo/signature.png")
