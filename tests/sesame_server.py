"""A local stand-in for CDS Sesame on 127.0.0.1, speaking its plain-text interface
(``GET /-oI/A?<name>``). The replies are CONSTRUCTED in Sesame's documented format (no real
Sesame reply was recorded); positions are the objects' catalogued ICRS ones."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

KNOWN = {"Vega": (279.23473479, 38.78368896), "M 31": (10.684708, 41.26875)}


class LocalSesame:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.hang_s = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/nph-sesame"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sesame = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parsed = urlparse(self.path)
                name = unquote(parsed.query)
                sesame.requests.append(name)
                time.sleep(sesame.hang_s)
                lines = [f"# {name}\t#Q0", "#=Sc=Simbad (via url):    1"]
                if name in KNOWN:
                    ra, dec = KNOWN[name]
                    lines.append(f"%J {ra:.8f} {dec:+.8f} = (ICRS)")
                else:
                    lines.append("#! *** Nothing found *** ")
                body = ("\n".join(lines) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
