"""Slow sources for the interrupt tests of the kernel (kernel_test.py) and the terminal
(REPLTests/pty): a local HTTP server for downloads, which must never reach the network, and a
large dataset folder for load."""
import gzip
import http.server
import os
import struct
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


def big_mnist(folder):
    """An MNIST folder of 3,000,000 blank training images: 2.35 GB once inflated, a few MB as
    gzip (one member repeated), so reading it takes long enough to interrupt."""
    os.makedirs(folder)

    def idx(name, header, item_size, count, repeat=1):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(gzip.compress(struct.pack(">" + "I" * len(header), *header)))
            member = gzip.compress(bytes(item_size * count), compresslevel=1)
            for _ in range(repeat):
                f.write(member)
    idx("train-images-idx3-ubyte.gz", (2051, 3000000, 28, 28), 784, 10000, repeat=300)
    idx("train-labels-idx1-ubyte.gz", (2049, 3000000), 1, 3000000)
    idx("t10k-images-idx3-ubyte.gz", (2051, 10, 28, 28), 784, 10)
    idx("t10k-labels-idx1-ubyte.gz", (2049, 10), 1, 10)
