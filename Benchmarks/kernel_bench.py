#!/usr/bin/env python3
"""The Jupyter kernel's latency, measured with jupyter_client as a notebook front end sees it.

    .venv/bin/python3 Benchmarks/kernel_bench.py [--cnnb .build/release/cnnb] [--runs N]

Prints: kernel start to the first kernel_info reply (goal <= 300 ms; ipykernel takes about a
second), and the median round trip (execute_request sent -> reply and idle status received) of
`x = 1` (goal <= 5 ms) and of a cell drawing a 4x4 grid of images. A benchmark, not a test: the
numbers depend on the machine and on what else runs on it.
"""
import argparse
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import time

from jupyter_client import KernelManager


def round_trip(kc, code):
    start = time.perf_counter()
    msg_id = kc.execute(code)
    reply = None
    while reply is None:
        msg = kc.get_shell_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg
    while True:
        msg = kc.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise SystemExit("the cell failed: %r" % code)
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cnnb", default=".build/debug/cnnb")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    cnnb = os.path.abspath(args.cnnb)
    home = tempfile.mkdtemp(prefix="cnnb-kernel-bench-")
    try:
        prefix = os.path.join(home, "prefix")
        subprocess.run([cnnb, "kernel", "install", "--prefix", prefix], check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(home, "runtime")

        starts = []
        for _ in range(args.starts):
            km = KernelManager(kernel_name="cnnb")
            begin = time.perf_counter()
            km.start_kernel(cwd=home)
            kc = km.client()
            kc.start_channels()
            kc.kernel_info(reply=True, timeout=60)
            starts.append(time.perf_counter() - begin)
            kc.stop_channels()
            km.shutdown_kernel(now=True)

        km = KernelManager(kernel_name="cnnb")
        km.start_kernel(cwd=home)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        for _ in range(10):
            round_trip(kc, "x = 1")
        assignments = [round_trip(kc, "x = 1") for _ in range(args.runs)]
        round_trip(kc, "data = load shapes")
        grids = [round_trip(kc, "show data.train[0..<16] grid 4x4 labels") for _ in range(max(args.runs // 10, 5))]
        kc.stop_channels()
        km.shutdown_kernel(now=True)

        ms = lambda s: "%.1f ms" % (s * 1000)
        print("kernel start to first kernel_info reply: median %s (min %s, %d starts)"
              % (ms(statistics.median(starts)), ms(min(starts)), len(starts)))
        print("x = 1 round trip: median %s (p90 %s, %d runs)"
              % (ms(statistics.median(assignments)), ms(sorted(assignments)[int(len(assignments) * 0.9)]), len(assignments)))
        print("4x4 image grid cell round trip: median %s (%d runs)" % (ms(statistics.median(grids)), len(grids)))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
