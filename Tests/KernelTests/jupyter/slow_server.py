"""A local HTTP server for download tests, which must never reach the network: the kernel
tests (kernel_test.py) and the terminal tests (REPLTests/pty) both start one."""
import http.server
import threading
import time


class SlowServer:
    """A local HTTP server that sends every path as `size` zero bytes, `chunk` bytes per
    `pause` seconds: a dataset download that takes long enough to watch and interrupt."""

    def __init__(self, size, chunk, pause):
        outer = self
        self.closed_early = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                sent = 0
                try:
                    while sent < size:
                        n = min(chunk, size - sent)
                        self.wfile.write(bytes(n))
                        self.wfile.flush()
                        sent += n
                        time.sleep(pause)
                except (BrokenPipeError, ConnectionResetError):
                    outer.closed_early.set()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
