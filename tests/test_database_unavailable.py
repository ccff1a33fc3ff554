"""The catalog's PostgreSQL server out of reach, then back: reads answer 503 with Retry-After (API
and pages alike, never a 500), then work again in the same app, without a restart.

The server is put out of reach by a TCP relay between the app and the test's PostgreSQL server:
closing it refuses new connections and cuts the open ones, as a stopped server does (the test
server itself is shared by the suite and is never stopped)."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy.engine import make_url

from .conftest import close_app, make_test_app


def reads(code: str) -> tuple[str, ...]:
    """The API and pages reading one standard (another one for each phase: nothing cached helps)."""
    return (f"/api/v1/standards/{code}", f"/api/v1/search?q=%E6%95%B0%E6%8D%AE&code={code}", f"/standards/{code}",
            f"/search?q=%E6%95%B0%E6%8D%AE&code={code}")


class Relay:
    """127.0.0.1:<port> relayed to ``target``; :meth:`cut` makes it refuse and drop connections,
    :meth:`restore` accepts again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port, self.open = target, 0, []
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut()
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        try:  # wakes the accept() blocked in its thread (close alone would not, and it would go on accepting)
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            sockets, self.open = self.open, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_reads_answer_503_with_retry_after_while_postgresql_is_out_of_reach_then_work_again(db_url, corpus,
                                                                                            tmp_path):
    url = make_url(db_url)
    relay = Relay((url.host, url.port))
    app = make_test_app(url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False), tmp_path)
    client = app.test_client()
    try:
        from registry.search.service import service_for

        service_for(app).start(wait=0)
        assert service_for(app).wait_ready(120), "the search index was never built"
        assert [client.get(path).status_code for path in reads("2-02-38-03")] == [200] * 4

        relay.cut()
        for path in reads("4-04-05-05"):
            response = client.get(path)
            assert (response.status_code, response.headers.get("Retry-After")) == (503, "1"), path
            assert b"Traceback" not in response.data and b"psycopg" not in response.data
        assert client.get("/api/v1/standards/4-04-05-05").get_json()["error"]["code"] == "database_unavailable"

        relay.restore()
        assert [client.get(path).status_code for path in reads("4-04-05-05")] == [200] * 4
    finally:
        relay.cut()
        close_app(app)
