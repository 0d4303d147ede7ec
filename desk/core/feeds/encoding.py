"""A body's Content-Encodings undone without ever producing more than a cap.

`Fetcher` undoes them as the body streams in; `decoded_body` undoes them
later, for a page whose still-compressed bytes the pipeline hands to an
extraction worker (smaller to send, and the work is the worker's). This
module imports no HTTP library, so a worker that unpickles a reference to
`decoded_body` loads only it.
"""

from __future__ import annotations

import zlib

from desk.core.errors import DeskError


class BodyTooLarge(DeskError):
    """A body that decodes to more than its cap, or cannot be decoded: said in words."""


def content_encodings(header: str) -> tuple[str, ...]:
    """A Content-Encoding header's codings, in the order they were applied ('' and identity out)."""
    codings = (e.strip().lower() for e in header.split(","))
    return tuple(c for c in codings if c not in ("", "identity"))


def decoded_body(body: bytes, encodings: tuple[str, ...], max_bytes: int) -> bytes:
    """`body` with `encodings` undone, at most `max_bytes`; BodyTooLarge in words otherwise."""
    try:
        return BoundedDecoder(encodings, max_bytes).feed(body)
    except OverflowError:
        raise BodyTooLarge(f"body larger than {max_bytes:,} bytes") from None
    except (ValueError, zlib.error) as exc:
        raise BodyTooLarge(f"corrupt compressed body ({exc})") from None


class BoundedDecoder:
    """Undo a stack of Content-Encodings without ever producing more than a cap."""

    def __init__(self, encodings: tuple[str, ...] | list[str], cap: int) -> None:
        self.cap = cap
        self.stages = [self._stage(e) for e in reversed(encodings) if e not in ("", "identity")]
        self.size = 0

    @staticmethod
    def _stage(encoding: str) -> zlib._Decompress:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompressobj(32 + zlib.MAX_WBITS)
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> bytes:
        """Decode one raw chunk; raise OverflowError past the cap."""
        for stage in self.stages:
            chunk = self._drain(stage, chunk)
        self.size += len(chunk)
        if self.size > self.cap:
            raise OverflowError
        return chunk

    def _drain(self, stage: zlib._Decompress, data: bytes) -> bytes:
        out = bytearray()
        while data:
            out += stage.decompress(data, self.cap + 1 - len(out))
            if len(out) > self.cap:
                raise OverflowError
            data = stage.unconsumed_tail
        return bytes(out)
