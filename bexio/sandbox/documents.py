"""Binary payloads bexio embeds as base64: avatars, logos and invoice PDFs.

Real files, so a client that decodes and opens them (a PDF viewer, an image library) works,
but generated in a few lines instead of shipping binaries.
"""

from __future__ import annotations

import base64
import struct
import zlib
from functools import cache


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@cache
def png_base64(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    """A solid-colour RGB PNG, base64-encoded (bexio's `profile_image`, `logo_base64`)."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode("ascii")


def default_avatar() -> str:
    return png_base64(80, 80, (222, 226, 230))


def default_logo() -> str:
    return png_base64(300, 107, (0, 93, 170))


def _pdf_text(value: str) -> str:
    # Latin-1 with PDF string escapes; anything else becomes "?" (Helvetica's WinAnsi set).
    encoded = value.encode("latin-1", "replace").decode("latin-1")
    return encoded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def invoice_pdf(lines: list[str]) -> bytes:
    """A one-page PDF listing `lines`: enough for a client to store, size and show."""
    text_ops = ["BT", "/F1 11 Tf", "56 780 Td", "14 TL"]
    for line in lines:
        text_ops.append(f"({_pdf_text(line)}) '")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
