"""gunicorn's HTTP/1 response, with the status line and headers sent together with the first
body bytes: one send instead of two.

Why. nginx passes an answer's headers on to the client as soon as they arrive, and once it has
done so it can no longer send the request to another app server. gunicorn writes the headers
and the body in two sends; a worker thread that loses the interpreter lock between them, on a
busy server, can be killed there (the server's machine gone), and the client receives headers
and no body: a failed request that no proxy can retry (the cluster drill saw one in 15,000
requests, each time an app server was killed). Sent together, the answer is whole or absent:
when the server dies before the send, nginx sees no answer and retries on the other server.

Installed by gunicorn_conf (`citesmart serve`): gunicorn builds every HTTP/1 response through
`gunicorn.http.wsgi.Response`. File responses sent with sendfile keep gunicorn's own order.
"""

from gunicorn import util
from gunicorn.http import wsgi


class WholeResponse(wsgi.Response):
    hold = True  # headers wait for the first body bytes (or the end of the answer)
    held = b""

    def send_headers(self) -> None:
        if not self.hold:
            return super().send_headers()
        if self.headers_sent:
            return None
        lines = [*self.default_headers(), *(f"{k}: {v}\r\n" for k, v in self.headers)]
        self.held = util.to_bytestring("{}\r\n".format("".join(lines)), "latin-1")
        self.headers_sent = True  # for gunicorn they are: it must not start another answer
        return None

    def _release(self) -> bytes:
        held, self.held = self.held, b""
        return held

    def _emit_body(self, data: bytes) -> None:
        if self.chunked:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(self._release() + data)

    def sendfile(self, respiter) -> bool:
        self.hold = False  # sendfile writes to the socket itself: headers first, as gunicorn does
        if super().sendfile(respiter):
            return True
        self.hold = True  # not sent that way (nothing written yet): the body comes by write()
        return False

    def close(self) -> None:
        self.send_headers()
        ending = b"0\r\n\r\n" if self.chunked else b""
        if self.held or ending:
            self.sock.sendall(self._release() + ending)


def install() -> None:
    wsgi.Response = WholeResponse
