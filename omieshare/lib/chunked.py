"""Request bodies sent with Transfer-Encoding: chunked (no Content-Length).

An integration streaming its JSON (curl -T -, Java's HttpURLConnection in streaming mode,
.NET with SendChunked) sends the body in chunks without a Content-Length. Django's
WSGIRequest reads CONTENT_LENGTH bytes, so such a body reads as empty, whatever the server:

- gunicorn (production) decodes the chunks itself and sets `wsgi.input_terminated`, the WSGI
  extension saying that `wsgi.input` ends where the body ends: the body can be read from it
  until it runs out (`read_terminated_input`).
- Django's development server (runserver, and the test live server) hands the application a
  stream cut at CONTENT_LENGTH, 0 here, so the body never reaches it, and its unread chunks
  were then parsed as the next request on the connection. `DechunkingServerHandler` decodes
  the chunks and sets `wsgi.input_terminated` like gunicorn, so one code path serves both;
  `install_in_development_server()` puts it in place (api/apps.py).
"""

from __future__ import annotations

import re
from typing import IO
from wsgiref import simple_server

from django.core.servers import basehttp

_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[^\r\n]*)?\r?\n")
_MAX_LINE = 4096
# What the development server reads of a body the application left unread, so the client
# can finish sending and read the answer; past it, the connection is closed instead.
_DRAIN_LIMIT = 8 * 1024 * 1024
_READ_SIZE = 64 * 1024


class MalformedChunkedBody(ValueError):
    pass


def is_chunked(environ: dict) -> bool:
    encoding = environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in encoding.lower() and not environ.get("CONTENT_LENGTH")


def read_terminated_input(environ: dict, limit: int) -> bytes:
    """The whole body from a `wsgi.input` that ends with the body, up to `limit` bytes.

    Raises OverflowError past `limit` (what was read is dropped), MalformedChunkedBody on
    broken chunk framing, and LookupError when the server does not say its input ends with
    the body (then reading could block until the client gives up)."""
    if not environ.get("wsgi.input_terminated"):
        raise LookupError("wsgi.input_terminated is not set")
    stream: IO[bytes] = environ["wsgi.input"]
    pieces: list[bytes] = []
    size = 0
    while True:
        piece = stream.read(_READ_SIZE)
        if not piece:
            return b"".join(pieces)
        size += len(piece)
        if size > limit:
            raise OverflowError(size)
        pieces.append(piece)


class ChunkedReader:
    """The decoded body of a chunked request, read lazily from the connection."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._left = 0  # bytes still to read in the current chunk
        self.done = False

    def _start_chunk(self) -> None:
        line = self._stream.readline(_MAX_LINE)
        match = _CHUNK_SIZE_LINE.fullmatch(line)
        if not match:
            raise MalformedChunkedBody("bad chunk size line")
        self._left = int(match.group(1), 16)
        if self._left == 0:
            while True:  # trailer fields, up to the empty line
                trailer = self._stream.readline(_MAX_LINE)
                if not trailer.endswith(b"\n"):
                    raise MalformedChunkedBody("body ended inside the trailer")
                if trailer in (b"\r\n", b"\n"):
                    break
            self.done = True

    def _end_chunk(self) -> None:
        if self._stream.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
            raise MalformedChunkedBody("chunk not followed by CRLF")

    def read(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while not self.done and (size is None or size < 0 or len(out) < size):
            if self._left == 0:
                self._start_chunk()
                continue
            wanted = self._left if size is None or size < 0 else min(self._left, size - len(out))
            data = self._stream.read(wanted)
            if not data:
                raise MalformedChunkedBody("connection closed inside a chunk")
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._end_chunk()
        return bytes(out)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            byte = self.read(1)
            if not byte:
                break
            line += byte
        return bytes(line)

    def drain(self, limit: int) -> bool:
        """Read and drop the rest of the body, up to `limit` bytes; True if it ended."""
        dropped = 0
        while not self.done and dropped <= limit:
            dropped += len(self.read(_READ_SIZE))
        return self.done


class DechunkingServerHandler(basehttp.ServerHandler):
    """Django's development-server handler, which also reads chunked request bodies."""

    def __init__(self, stdin, stdout, stderr, environ, **kwargs):
        self.chunked_input = None
        if not is_chunked(environ):
            super().__init__(stdin, stdout, stderr, environ, **kwargs)
            return
        self.chunked_input = ChunkedReader(stdin)
        environ["wsgi.input_terminated"] = True
        # Not Django's __init__: it would cut the input at CONTENT_LENGTH, 0 here.
        simple_server.ServerHandler.__init__(self, self.chunked_input, stdout, stderr, environ, **kwargs)

    def close(self):
        if self.chunked_input is None:
            super().close()
            return
        # Django's close() reads the input to its end, unbounded for a chunked body.
        try:
            ended = self.chunked_input.drain(_DRAIN_LIMIT)
        except (MalformedChunkedBody, OSError):
            ended = False
        if not ended:
            self.request_handler.close_connection = True
        simple_server.ServerHandler.close(self)


def install_in_development_server() -> None:
    """runserver and the test live server build their handler from this module attribute."""
    basehttp.ServerHandler = DechunkingServerHandler
