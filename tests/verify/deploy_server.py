"""A small HTTP service for the verify-deploy tests, run as a subprocess on 127.0.0.1.

    python deploy_server.py PORT [--start-delay S] [--health-status N] [--health-json JSON]
                                 [--log FILE] [--ready-file FILE]

Routes: /health (the configured answer), /ok (200 JSON), /fail (500 and a logged traceback),
/hang (never answers), /slow?ms=N. It binds only after --start-delay, like a slow start.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--start-delay", type=float, default=0.0)
    parser.add_argument("--health-status", type=int, default=200)
    parser.add_argument("--health-json", default='{"status": "ok", "checks": {"db": "up"}}')
    parser.add_argument("--log")
    parser.add_argument("--ready-file")
    args = parser.parse_args()

    def log(line: str) -> None:
        if args.log:
            with open(args.log, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/health":
                self._answer(args.health_status, args.health_json.encode())
            elif url.path == "/ok":
                self._answer(200, json.dumps({"dispatched": ["g1", "g2"]}).encode())
            elif url.path == "/fail":
                try:
                    raise RuntimeError("the smoke path broke")
                except RuntimeError:
                    log("ERROR in handler\n" + traceback.format_exc().rstrip())
                self._answer(500, b'{"error": "internal"}')
            elif url.path == "/hang":
                time.sleep(3600)
            elif url.path == "/slow":
                time.sleep(int(parse_qs(url.query).get("ms", ["100"])[0]) / 1000)
                self._answer(200, b'{"slow": true}')
            else:
                self._answer(404, b'{"error": "not found"}')

        do_POST = do_GET

        def log_message(self, *_: object) -> None:
            pass

    time.sleep(args.start_delay)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.ready_file:
        with open(args.ready_file, "w") as handle:
            handle.write(repr(time.time()))
    print("listening", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
