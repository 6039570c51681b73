"""uvicorn's httptools protocol, answering what its parser refuses with the API's JSON error.

httptools, uvicorn's C HTTP parser, is kept for its upload speed: ~400 MB/s on loopback
against ~160-230 for uvicorn's pure-Python h11 (``docs/notes/server.md``; the target is
300). But a request it cannot parse (a method no table knows, like ``BREW``, or a malformed
head) is refused inside uvicorn, with a plain-text 400 that the app never sees. This
protocol answers at that same moment with the JSON envelope of every other error
(``docs/API.md``): ``501 not_implemented`` for an unknown method, ``400 bad_request`` for
anything else, and closes the connection as uvicorn does.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .errors import STATUS, error_body

__all__ = ["JsonErrorHttpToolsProtocol"]


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` whose parse-error answer is the API's JSON error."""

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn while it handles the parser's error, which says what it was."""
        if isinstance(sys.exc_info()[1], httptools.HttpParserInvalidMethodError):
            code, text = "not_implemented", "the worker implements no such HTTP method"
        else:
            code, text = "bad_request", f"{msg.rstrip('.')}: the request could not be parsed"
        status = STATUS[code]
        body = json.dumps(error_body(code, text)).encode()
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()
