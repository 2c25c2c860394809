"""A scriptable HTTPS fault injector in front of the real case-server, for the fault suite.

Each POST takes the next mode from `script` (then "pass" for ever):
  pass             forward to the case-server and relay its answer
  status:CODE[:RA] answer CODE, with `Retry-After: RA` when RA is given
  hang:SECONDS     read the request, say nothing for SECONDS, close
  reset            read the request, close with a TCP RST (SO_LINGER 0)
Independently of the script, a batch holding any sequence number in `poison` is answered 400
naming it (an envelope the server refuses to parse), as a server would for a bad envelope.
Every request is recorded: (monotonic time, mode, sequence numbers in the batch).
"""
import collections
import http.server
import json
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.request


class FaultProxy:
    def __init__(self, cert, key, upstream_port, upstream_ca):
        self.script = collections.deque()
        self.poison = set()
        self.requests = []
        self.lock = threading.Lock()
        self.upstream = f"https://127.0.0.1:{upstream_port}/v1/envelopes"
        self.upstream_ctx = ssl.create_default_context(cafile=str(upstream_ca))
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    seqs = [e["seq"] for e in json.loads(body)["envelopes"]]
                except (ValueError, KeyError, TypeError):
                    seqs = []
                with proxy.lock:
                    mode = proxy.script.popleft() if proxy.script else "pass"
                    proxy.requests.append((time.monotonic(), mode, seqs))
                    bad = sorted(set(seqs) & proxy.poison)
                if mode.startswith("status:"):
                    parts = mode.split(":")
                    headers = {"Retry-After": parts[2]} if len(parts) > 2 else {}
                    return self.answer(int(parts[1]), b'{"error":"injected"}', headers)
                if mode.startswith("hang:"):
                    time.sleep(float(mode.split(":")[1]))
                    self.close_connection = True
                    return
                if mode == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    try:
                        # Close the descriptor under the TLS layer: no close_notify, an RST.
                        socket.socket.close(self.connection)
                    except OSError:
                        pass
                    return
                if bad:
                    return self.answer(400, f"envelope seq {bad[0]} is malformed".encode())
                req = urllib.request.Request(proxy.upstream, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, context=proxy.upstream_ctx, timeout=30) as r:
                        return self.answer(r.status, r.read())
                except urllib.error.HTTPError as e:
                    return self.answer(e.code, e.read())
                except OSError:
                    return self.answer(502, b'{"error":"case-server unreachable"}')

            def answer(self, code, payload, headers=None):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def modes(self):
        with self.lock:
            return [m for _, m, _ in self.requests]
