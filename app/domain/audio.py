"""Checks of an uploaded clip before any paid work: base64, container, WAV duration."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import wave


def decode_base64(data: str) -> bytes | None:
    """Strict standard base64 (no stray characters); None when it is not."""
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def matches_format(audio: bytes, fmt: str) -> bool:
    """Does the container's magic number match the declared format?"""
    if fmt == "webm":
        return audio[:4] == b"\x1a\x45\xdf\xa3"
    if fmt == "ogg":
        return audio[:4] == b"OggS"
    if fmt == "wav":
        return len(audio) >= 12 and audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    if fmt == "mp3":
        return audio[:3] == b"ID3" or (
            len(audio) >= 2 and audio[0] == 0xFF and (audio[1] & 0xE0) == 0xE0
        )
    if fmt == "m4a":
        return len(audio) >= 8 and audio[4:8] == b"ftyp"
    return False


def _riff_duration(audio: bytes) -> float | None:
    """Walk the RIFF chunks: data bytes / byte rate, bounded by the bytes present
    (streamed WAVs declare a huge or zero data size)."""
    pos, byte_rate, data_size = 12, None, None
    while pos + 8 <= len(audio):
        chunk_id = audio[pos : pos + 4]
        (size,) = struct.unpack("<I", audio[pos + 4 : pos + 8])
        body = pos + 8
        if chunk_id == b"fmt " and body + 12 <= len(audio):
            (byte_rate,) = struct.unpack("<I", audio[body + 8 : body + 12])
        elif chunk_id == b"data":
            present = len(audio) - body
            data_size = present if size in (0, 0xFFFFFFFF) else min(size, present)
            break
        pos = body + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return data_size / byte_rate


def wav_duration(audio: bytes) -> float | None:
    """Seconds of a WAV clip from its header, or None when it cannot be read."""
    candidates: list[float] = []
    try:
        with wave.open(io.BytesIO(audio), "rb") as w:
            if w.getframerate() > 0:
                candidates.append(w.getnframes() / w.getframerate())
    except (wave.Error, EOFError, struct.error, ValueError):
        pass
    riff = _riff_duration(audio)
    if riff is not None:
        candidates.append(riff)
    return min(candidates) if candidates else None
