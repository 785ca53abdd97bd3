"""A camera for the browser tests: frames showing an EAN-13 barcode or a QR code,
written as a Y4M video that Chromium plays as its fake capture device."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 480

_L = [
    "0001101", "0011001", "0010011", "0111101", "0100011",
    "0110001", "0101111", "0111011", "0110111", "0001011",
]  # fmt: skip
_R = ["".join("1" if b == "0" else "0" for b in code) for code in _L]
_G = [code[::-1] for code in _R]
_PARITY = [
    "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
    "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL",
]  # fmt: skip


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13_modules(code: str) -> str:
    """The 95 bars and spaces of an EAN-13 code (1 = bar)."""
    assert len(code) == 13 and ean13_check_digit(code[:12]) == code[12]
    digits = [int(d) for d in code]
    parity = _PARITY[digits[0]]
    left = "".join(
        (_L if p == "L" else _G)[d] for p, d in zip(parity, digits[1:7], strict=True)
    )
    right = "".join(_R[d] for d in digits[7:])
    return "101" + left + "01010" + right + "101"


def ean13_image(code: str, *, module: int = 5) -> Image.Image:
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    x = (WIDTH - 95 * module) // 2
    for bit in ean13_modules(code):
        if bit == "1":
            draw.rectangle([x, 100, x + module - 1, 380], fill=0)
        x += module
    return image


def qr_image(text: str) -> Image.Image:
    code = qrcode.QRCode(border=4, box_size=10)
    code.add_data(text)
    picture = code.make_image(fill_color="black", back_color="white").convert("L")
    side = min(HEIGHT - 40, picture.size[0])
    picture = picture.resize((side, side), Image.NEAREST)
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    image.paste(picture, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return image


def write_y4m(path: Path, image: Image.Image, *, frames: int = 10) -> Path:
    """A few identical 4:2:0 frames; Chromium loops the file."""
    ycbcr = image.convert("RGB").convert("YCbCr")
    y, cb, cr = ycbcr.split()
    half = (WIDTH // 2, HEIGHT // 2)
    frame = (
        b"FRAME\n"
        + y.tobytes()
        + cb.resize(half, Image.BILINEAR).tobytes()
        + cr.resize(half, Image.BILINEAR).tobytes()
    )
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(frame)
    return path
