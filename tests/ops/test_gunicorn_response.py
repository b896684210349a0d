"""An answer of `citesmart serve` leaves in one send, headers with body (ops/gunicorn_response):
a server killed between the two sends gave the client headers and no body, which nginx can no
longer retry. gunicorn's own Response is the reference: same bytes, fewer sends."""

from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi

from citesmart.ops import gunicorn_conf  # noqa: F401 - installs the response, as serve does
from citesmart.ops.gunicorn_response import WholeResponse

GUNICORNS = WholeResponse.__bases__[0]  # gunicorn's own


class Socket:
    def __init__(self):
        self.sends: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))

    def sendfile(self, file, offset=0, count=None):
        file.seek(offset)
        self.sends.append(file.read(count))


def request(method: str = "GET") -> SimpleNamespace:
    return SimpleNamespace(
        method=method, version=(1, 1), should_close=lambda: False, headers=[], path="/"
    )


def answer(cls, body: list[bytes], headers: list[tuple[str, str]], method: str = "GET"):
    sock = Socket()
    response = cls(request(method), sock, Config())
    response.start_response("200 OK", headers)
    for chunk in body:
        response.write(chunk)
    response.close()
    return sock.sends


def without_date(data: bytes) -> bytes:
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"Date:"))


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ([b"<html>whole</html>"], [("Content-Type", "text/html"), ("Content-Length", "18")]),
        ([b"part one, ", b"part two"], [("Content-Type", "text/plain")]),  # chunked
        ([], [("Content-Length", "0")]),
    ],
)
def test_the_headers_leave_with_the_body(body, headers):
    ours = answer(WholeResponse, body, headers)
    reference = answer(GUNICORNS, body, headers)
    assert without_date(b"".join(ours)) == without_date(b"".join(reference))
    assert b"\r\n\r\n" in ours[0]  # the first send holds every header...
    if body:
        assert body[0] in ours[0]  # ...and the first body bytes
        assert len(ours) == len(reference) - 1  # gunicorn: headers, then the body


def test_a_head_answer_sends_its_headers():
    sends = answer(WholeResponse, [], [("Content-Length", "18")], method="HEAD")
    assert len(sends) == 1 and sends[0].startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_file_sent_by_sendfile_keeps_headers_first(tmp_path):
    path = tmp_path / "datos.csv"
    path.write_bytes(b"a,b\n1,2\n")
    sock = Socket()
    response = WholeResponse(request(), sock, Config())
    response.start_response("200 OK", [("Content-Length", "8")])
    with path.open("rb") as handle:
        assert response.sendfile(SimpleNamespace(filelike=handle))
    response.close()
    assert sock.sends[0].startswith(b"HTTP/1.1 200 OK") and sock.sends[-1] == b"a,b\n1,2\n"


def test_serve_builds_its_answers_with_it():
    assert wsgi.Response is WholeResponse
