"""Draw the integration's brand images (a smart-meter glyph) as PNG files.

Run: scripts/run python scripts/make_brand.py
Writes custom_components/smets/brand/{icon,logo}.png (256 px) and their @2x
(512 px) versions, and the dark_ variants of all four that Home Assistant shows
on a dark theme (Home Assistant 2026.3+ reads a custom integration's own
brand/ folder: icon, logo, their @2x and their dark_ versions). Pure standard
library: each shape is a signed distance function and every pixel's coverage
comes from its distance to the edge, so the edges are anti-aliased without
supersampling.
"""

from __future__ import annotations

from collections.abc import Callable
import math
from pathlib import Path
import struct
import zlib

BRAND = Path(__file__).resolve().parent.parent / "custom_components/smets/brand"

Colour = tuple[int, int, int]
Sdf = Callable[[float, float], float]

BODY: Colour = (0x03, 0xA9, 0xF4)  # Home Assistant blue
SCREEN: Colour = (0x10, 0x2A, 0x43)
BOLT: Colour = (0xFF, 0xC1, 0x07)
BUTTON: Colour = (0xFF, 0xFF, 0xFF)

# On a dark theme (Home Assistant's dark background is near black) the body is
# a lighter blue, so the meter's outline stands out as much as the light one
# does on white, and the display darker still, so the bolt keeps its contrast.
DARK_BODY: Colour = (0x4F, 0xC3, 0xF7)
DARK_SCREEN: Colour = (0x07, 0x14, 0x22)


def rounded_rect(cx: float, cy: float, hw: float, hh: float, r: float) -> Sdf:
    """Return the signed distance to a rounded rectangle (unit square coords)."""

    def sdf(x: float, y: float) -> float:
        qx = abs(x - cx) - hw + r
        qy = abs(y - cy) - hh + r
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - r

    return sdf


def circle(cx: float, cy: float, r: float) -> Sdf:
    """Return the signed distance to a circle."""
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def polygon(points: list[tuple[float, float]]) -> Sdf:
    """Return the signed distance to a simple polygon."""

    def sdf(x: float, y: float) -> float:
        d = math.inf
        inside = False
        n = len(points)
        for i in range(n):
            ax, ay = points[i]
            bx, by = points[i - 1]
            ex, ey = bx - ax, by - ay
            wx, wy = x - ax, y - ay
            t = max(0.0, min(1.0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
            d = min(d, math.hypot(wx - ex * t, wy - ey * t))
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
        return -d if inside else d

    return sdf


def layers(body: Colour, screen: Colour) -> list[tuple[Sdf, Colour]]:
    """Return the glyph, in a unit square: a meter body, its display, a bolt on
    the display, and three buttons under it."""
    return [
        (rounded_rect(0.5, 0.5, 0.36, 0.44, 0.09), body),
        (rounded_rect(0.5, 0.36, 0.26, 0.19, 0.04), screen),
        (
            polygon(
                [
                    (0.53, 0.20),
                    (0.40, 0.39),
                    (0.49, 0.39),
                    (0.46, 0.52),
                    (0.60, 0.32),
                    (0.51, 0.32),
                ]
            ),
            BOLT,
        ),
        (circle(0.36, 0.74, 0.055), BUTTON),
        (circle(0.50, 0.74, 0.055), BUTTON),
        (circle(0.64, 0.74, 0.055), BUTTON),
    ]


LAYERS = layers(BODY, SCREEN)
DARK_LAYERS = layers(DARK_BODY, DARK_SCREEN)


def render(size: int, glyph: list[tuple[Sdf, Colour]]) -> bytes:
    """Render the glyph as RGBA rows (PNG filter byte first on each row)."""
    rows = bytearray()
    px = 1.0 / size
    for j in range(size):
        rows.append(0)
        y = (j + 0.5) * px
        for i in range(size):
            x = (i + 0.5) * px
            r = g = b = a = 0.0
            for sdf, colour in glyph:
                cover = min(1.0, max(0.0, 0.5 - sdf(x, y) / px))
                if cover <= 0.0:
                    continue
                # "over" compositing with premultiplied colour
                r = colour[0] * cover + r * (1 - cover)
                g = colour[1] * cover + g * (1 - cover)
                b = colour[2] * cover + b * (1 - cover)
                a = cover + a * (1 - cover)
            if a > 0:
                rows += bytes(
                    (round(r / a), round(g / a), round(b / a), round(a * 255))
                )
            else:
                rows += b"\0\0\0\0"
    return bytes(rows)


def png(size: int, glyph: list[tuple[Sdf, Colour]]) -> bytes:
    """Encode the glyph at size x size pixels as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size, glyph), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    """Write every brand image."""
    BRAND.mkdir(parents=True, exist_ok=True)
    for prefix, glyph in (("", LAYERS), ("dark_", DARK_LAYERS)):
        for size, suffix in ((256, ""), (512, "@2x")):
            data = png(size, glyph)
            # The logo is the glyph alone: square, which the brand rules allow
            # (its shortest side is 256 px, 512 px for the @2x).
            for name in ("icon", "logo"):
                path = BRAND / f"{prefix}{name}{suffix}.png"
                path.write_bytes(data)
                print(f"wrote brand/{path.name} ({size}x{size})")


if __name__ == "__main__":
    main()
