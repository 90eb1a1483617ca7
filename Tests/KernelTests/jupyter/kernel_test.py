#!/usr/bin/env python3
"""Drives the real `cnnb kernel` with Jupyter's own client libraries (jupyter_client, nbclient,
nbformat), as JupyterLab, VS Code and nbconvert do.

    CNNB_BINARY=.build/debug/cnnb .venv/bin/python3 Tests/KernelTests/jupyter/kernel_test.py -v [KernelTests.test_NAME ...]

Each test installs the kernelspec with `cnnb kernel install --prefix` into a temporary folder
that JUPYTER_PATH points at, so the machine's own Jupyter setup is never touched.
KernelTests/JupyterClientTests.swift runs every test here from `swift test`.
"""
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import nbformat
import zmq
from jupyter_client import BlockingKernelClient, KernelManager
from jupyter_client.connect import write_connection_file
from jupyter_client.session import Session
from nbclient import NotebookClient

from slow_server import SlowServer, big_mnist

BINARY = os.path.abspath(os.environ.get("CNNB_BINARY", ".build/debug/cnnb"))
CHECKOUT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TIMEOUT = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# A small network on the generated shapes dataset: trains for long enough to be interrupted.
SETUP = """data = load shapes
data = data / 255
model net {
    input 32x32x3
    conv 8 3x3 relu
    pool 2
    flatten
    dense 10 softmax
}
compile net optimizer adam loss sparse_categorical_crossentropy metrics accuracy"""


def process_gone(pid):
    """True when the process has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


class KernelTests(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cnnb-kernel-test-")
        self.prefix = os.path.join(self.home, "prefix")
        out = subprocess.run([BINARY, "kernel", "install", "--prefix", self.prefix],
                             capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.env = {
            "JUPYTER_PATH": os.path.join(self.prefix, "share", "jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(self.home, "data"),
            "JUPYTER_RUNTIME_DIR": os.path.join(self.home, "runtime"),
            "JUPYTER_CONFIG_DIR": os.path.join(self.home, "config"),
        }
        self.saved = {k: os.environ.get(k) for k in list(self.env) + ["CNNB_LIMIT", "CNNB_EPOCHS"]}
        os.environ.update(self.env)
        os.environ.pop("CNNB_LIMIT", None)
        os.environ.pop("CNNB_EPOCHS", None)
        self.managers = []
        self.clients = []

    def tearDown(self):
        for kc in self.clients:
            kc.stop_channels()
        for km in self.managers:
            if km.has_kernel and km.is_alive():
                km.shutdown_kernel(now=True)
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.home, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------

    def start(self, env=None, kernel_name="cnnb"):
        """A started cnnb kernel and a blocking client that is ready; the kernel's stderr goes to a file."""
        km = KernelManager(kernel_name=kernel_name)
        self.stderr_path = os.path.join(self.home, "kernel-%d.err" % len(self.managers))
        self.stderr_file = open(self.stderr_path, "w")
        kernel_env = dict(os.environ)
        kernel_env.update(env or {})
        km.start_kernel(cwd=self.home, stderr=self.stderr_file, env=kernel_env)
        self.managers.append(km)
        kc = km.client()
        self.clients.append(kc)
        kc.start_channels()
        kc.wait_for_ready(timeout=TIMEOUT)
        return km, kc

    def kernel_stderr(self):
        self.stderr_file.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def messages_until_idle(self, kc, msg_id, timeout=TIMEOUT):
        """Every iopub message whose parent is msg_id, up to and including its idle status."""
        found = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=max(deadline - time.time(), 0.1))
            except queue.Empty:
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            found.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return found
        self.fail("no idle status for %s; got %s" % (msg_id, [m["msg_type"] for m in found]))

    def reply(self, kc, msg_id, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = kc.get_shell_msg(timeout=max(deadline - time.time(), 0.1))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        self.fail("no reply to %s" % msg_id)

    def run_cell(self, kc, code, **kw):
        """Executes code; returns (reply, iopub messages)."""
        msg_id = kc.execute(code, **kw)
        reply = self.reply(kc, msg_id, timeout=kw.pop("timeout", 300) if "timeout" in kw else 300)
        return reply, self.messages_until_idle(kc, msg_id)

    def result_text(self, messages):
        results = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "execute_result"]
        return results[-1] if results else None

    def wait_for_training(self, kc, msg_id, timeout=120):
        """Reads iopub until the cell's training display shows a batch; returns the messages."""
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append(msg)
            if msg["msg_type"] in ("display_data", "update_display_data") and "/" in msg["content"]["data"]["text/plain"] \
                    and "step" in msg["content"]["data"]["text/plain"]:
                return seen
        self.fail("training did not start")

    # -- the tests -------------------------------------------------------------------------

    def test_kernel_info(self):
        km, kc = self.start()
        reply = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(reply["protocol_version"], "5.3")
        self.assertEqual(reply["implementation"], "cnnb")
        info = reply["language_info"]
        self.assertEqual(info["name"], "cnnb")
        self.assertEqual(info["file_extension"], ".cnnb")
        self.assertEqual(info["mimetype"], "text/x-cnnb")
        self.assertRegex(info["version"], r"^\d+\.\d+")
        self.assertIn("cnnb", reply["banner"])
        self.assertEqual(sorted(link["text"] for link in reply["help_links"]), ["cnnb grammar", "cnnb lessons"])
        for link in reply["help_links"]:
            self.assertTrue(os.path.exists(link["url"].replace("file://", "")), link["url"])

    def test_kernelspec_install_list_uninstall(self):
        folder = os.path.join(self.prefix, "share", "jupyter", "kernels", "cnnb")
        with open(os.path.join(folder, "kernel.json")) as f:
            spec = json.load(f)
        self.assertEqual(spec["argv"][1:], ["kernel", "-f", "{connection_file}"])
        self.assertTrue(os.path.isabs(spec["argv"][0]) and os.access(spec["argv"][0], os.X_OK), spec["argv"][0])
        self.assertEqual(spec["display_name"], "cnnb")
        self.assertEqual(spec["language"], "cnnb")
        self.assertIn(spec["interrupt_mode"], ("message", "signal"))
        for size in (32, 64):
            with open(os.path.join(folder, "logo-%dx%d.png" % (size, size)), "rb") as f:
                head = f.read(24)
            self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
            self.assertEqual((int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")), (size, size))
        jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
        listed = subprocess.run([jupyter, "kernelspec", "list", "--json"], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        specs = json.loads(listed.stdout)["kernelspecs"]
        self.assertIn("cnnb", specs)
        self.assertEqual(os.path.realpath(specs["cnnb"]["resource_dir"]), os.path.realpath(folder))
        # Under another name, then removed again.
        out = subprocess.run([BINARY, "kernel", "install", "--prefix", self.prefix, "--name", "cnnb-test"],
                             capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.prefix, "share", "jupyter", "kernels", "cnnb-test", "kernel.json")))
        out = subprocess.run([BINARY, "kernel", "uninstall", "--prefix", self.prefix, "--name", "cnnb-test"],
                             capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.prefix, "share", "jupyter", "kernels", "cnnb-test")))
        self.assertTrue(os.path.exists(folder))
        # --user honours XDG_DATA_HOME, as Jupyter does on Linux.
        if sys.platform.startswith("linux"):
            xdg = os.path.join(self.home, "xdg")
            out = subprocess.run([BINARY, "kernel", "install", "--user"], capture_output=True, text=True, timeout=TIMEOUT,
                                 env=dict(os.environ, XDG_DATA_HOME=xdg))
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(os.path.exists(os.path.join(xdg, "jupyter", "kernels", "cnnb", "kernel.json")))

    def test_execute_messages_and_parents(self):
        km, kc = self.start()
        msg_id = kc.execute("x = 20\nx + 1")
        reply = self.reply(kc, msg_id)
        messages = self.messages_until_idle(kc, msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        types = [m["msg_type"] for m in messages]
        self.assertEqual(types, ["status", "execute_input", "execute_result", "status"])
        self.assertEqual(messages[0]["content"]["execution_state"], "busy")
        self.assertEqual(messages[1]["content"], {"code": "x = 20\nx + 1", "execution_count": 1})
        self.assertEqual(messages[2]["content"]["data"], {"text/plain": "21"})
        self.assertEqual(messages[2]["content"]["execution_count"], 1)
        for m in messages:
            self.assertEqual(m["parent_header"]["msg_id"], msg_id)
            self.assertEqual(m["header"]["version"], "5.3")
        # Text before the last is printed output: a stream.
        reply, messages = self.run_cell(kc, "x\nx * 2")
        self.assertEqual([(m["msg_type"], m["content"].get("text")) for m in messages if m["msg_type"] == "stream"],
                         [("stream", "20\n")])
        self.assertEqual(self.result_text(messages), "40")

    def test_execution_count(self):
        km, kc = self.start()
        counts = []
        for code in ["a = 1", "b = 2", "a + b"]:
            reply, _ = self.run_cell(kc, code)
            counts.append(reply["content"]["execution_count"])
        self.assertEqual(counts, [1, 2, 3])
        # Silent: no execute_input, no result, the count stays.
        reply, messages = self.run_cell(kc, "a + b", silent=True)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["content"]["execution_count"], 3)
        self.assertEqual([m["msg_type"] for m in messages], ["status", "status"])
        reply, messages = self.run_cell(kc, "c = 3", store_history=False)
        self.assertEqual(reply["content"]["execution_count"], 3)
        self.assertIn("execute_input", [m["msg_type"] for m in messages])
        reply, _ = self.run_cell(kc, "c")
        self.assertEqual(reply["content"]["execution_count"], 4)

    def test_completion(self):
        km, kc = self.start()
        self.run_cell(kc, "model tiny { input 4x4x1; flatten; dense 2 softmax }\ntotal = 1")

        def complete(code, cursor=None):
            msg_id = kc.complete(code, cursor_pos=len(code) if cursor is None else cursor)
            content = self.reply(kc, msg_id)["content"]
            self.assertEqual(content["status"], "ok")
            return content["matches"], content["cursor_start"], content["cursor_end"]

        self.assertEqual(complete("conv1"), (["conv1d"], 0, 5))
        self.assertEqual(complete("con")[0][:3], ["concat", "conv", "conv1d"])
        self.assertEqual(complete("summary ti"), (["tiny"], 8, 10))
        self.assertEqual(complete("tiny.l"), (["tiny.layers"], 0, 6))
        self.assertEqual(complete("h = fit tiny ep"), (["epochs"], 13, 15))
        # The cursor inside a word in the second line of a cell: the word's end is replaced too.
        code = "x = 1\nsummary tot\ny = 2"
        self.assertEqual(complete(code, cursor=code.index("tot") + 2), (["total"], code.index("tot"), code.index("tot") + 3))
        # After a non-ASCII character the positions count code points, as the protocol says.
        code = "# café\nfit tiny ep"
        self.assertEqual(complete(code), (["epochs"], len(code) - 2, len(code)))
        matches, _, _ = complete("")
        self.assertIn("fit", matches)
        self.assertIn("tiny", matches)

    def test_inspect(self):
        km, kc = self.start()
        self.run_cell(kc, "model tiny { input 4x4x1; flatten; dense 2 softmax }")

        def inspect(code, cursor):
            content = self.reply(kc, kc.inspect(code, cursor_pos=cursor))["content"]
            self.assertEqual(content["status"], "ok")
            return content["found"], content["data"].get("text/plain", "")

        found, text = inspect("fit tiny on data.train", 1)
        self.assertTrue(found)
        self.assertIn("fit MODEL on", text)
        self.assertIn("epochs", text)
        found, text = inspect("summary tiny", 10)
        self.assertTrue(found)
        self.assertIn("tiny: model tiny: 3 layers, 34 parameters", text)
        self.assertIn("Total params: 34", text)
        found, text = inspect("x = conv 8 3x3", 6)
        self.assertTrue(found)
        self.assertIn("conv", text)
        found, _ = inspect("nothing_here", 3)
        self.assertFalse(found)

    def test_help_and_vars_cells(self):
        km, kc = self.start()
        reply, messages = self.run_cell(kc, ":help fit")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("fit MODEL on", self.result_text(messages))
        reply, messages = self.run_cell(kc, ":vars")
        self.assertEqual(self.result_text(messages), "nothing is defined yet")
        self.run_cell(kc, "x = 3\nk = 2x2")
        reply, messages = self.run_cell(kc, ":vars")
        self.assertEqual(self.result_text(messages), "x  3\nk  2x2")
        self.assertEqual(reply["content"]["execution_count"], 4)
        reply, messages = self.run_cell(kc, "\n  :save notes.cnnb")
        self.assertEqual(reply["content"]["status"], "error")
        traceback = [ANSI.sub("", line) for line in reply["content"]["traceback"]]
        self.assertEqual(traceback[0], "In[5]:2:3: error: :save is not a command in a notebook cell")
        self.assertEqual(traceback[2].index("^"), 2)
        self.assertTrue(any(line.startswith("hint: a cell takes :help WORD and :vars") for line in traceback), traceback)
        content = self.reply(kc, kc.complete(":", cursor_pos=1))["content"]
        self.assertEqual(content["matches"], [":help", ":vars"])
        content = self.reply(kc, kc.complete(":help fi", cursor_pos=8))["content"]
        self.assertEqual((content["matches"], content["cursor_start"]), (["filters", "fit"], 6))

    def test_is_complete(self):
        km, kc = self.start()

        def status(code):
            content = self.reply(kc, kc.is_complete(code))["content"]
            return content["status"], content.get("indent")

        self.assertEqual(status("x = 1"), ("complete", None))
        self.assertEqual(status("model m {\n    input 4x4x1"), ("incomplete", "    "))
        self.assertEqual(status("k = [[1, 0],"), ("incomplete", ""))
        self.assertEqual(status("fit (m"), ("incomplete", ""))
        self.assertEqual(status("x = = 1"), ("invalid", None))
        self.assertEqual(status("model m { input 4x4x1 }}"), ("invalid", None))
        self.assertEqual(status(":help fit"), ("complete", None))
        self.assertEqual(status(":nothing"), ("invalid", None))

    def test_error_cell(self):
        km, kc = self.start()
        self.run_cell(kc, "x = 7")
        reply, messages = self.run_cell(kc, "y = 1\nz = nosuch + 1")
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        traceback = [ANSI.sub("", line) for line in errors[0]["traceback"]]
        self.assertTrue(any(line.startswith("In[2]:2:5: error:") for line in traceback), traceback)
        self.assertTrue(any("z = nosuch + 1" in line for line in traceback), traceback)
        caret = next(line for line in traceback if line.strip().startswith("^"))
        source = next(line for line in traceback if "z = nosuch + 1" in line)
        self.assertEqual(caret.index("^"), source.index("nosuch"))
        self.assertTrue(any("\x1b[" in line for line in errors[0]["traceback"]), "coloured as ipykernel colours")
        self.assertIn("nosuch", errors[0]["evalue"])
        self.assertEqual(reply["content"]["evalue"], errors[0]["evalue"])
        # The session is intact: x is there, and y (before the error) too.
        reply, messages = self.run_cell(kc, "x + y")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(self.result_text(messages), "8")
        # A syntax error runs nothing of the cell.
        reply, messages = self.run_cell(kc, "w = 1\nw = = 2")
        self.assertEqual(reply["content"]["status"], "error")
        reply, _ = self.run_cell(kc, "w")
        self.assertEqual(reply["content"]["status"], "error")

    def test_stop_on_error_aborts_queued_cells(self):
        km, kc = self.start()
        self.run_cell(kc, SETUP)
        slow = kc.execute("fit net on data.train epochs 1\nnosuch")
        queued = kc.execute("after = 1")
        self.assertEqual(self.reply(kc, slow, timeout=300)["content"]["status"], "error")
        self.assertEqual(self.reply(kc, queued)["content"]["status"], "aborted")
        reply, _ = self.run_cell(kc, "after")
        self.assertEqual(reply["content"]["status"], "error", "the aborted cell did not run")
        reply, _ = self.run_cell(kc, "after = 2\nafter")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_rich_output(self):
        km, kc = self.start(env={"CNNB_LIMIT": "200"})
        reply, messages = self.run_cell(kc, "data = load shapes\nshow data.train[0..<16] grid 4x4 labels")
        self.assertEqual(reply["content"]["status"], "ok")
        displays = [m["content"] for m in messages if m["msg_type"] == "display_data"]
        self.assertEqual(len(displays), 1)
        png = displays[0]
        self.assertIn("image/png", png["data"])
        self.assertIn("text/plain", png["data"])
        import base64
        raw = base64.b64decode(png["data"]["image/png"])
        self.assertEqual(raw[:8], b"\x89PNG\r\n\x1a\n")
        size = (int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big"))
        self.assertEqual((png["metadata"]["image/png"]["width"], png["metadata"]["image/png"]["height"]), size)
        reply, messages = self.run_cell(kc, "model net { input 32x32x3; conv 4 3x3 relu; flatten; dense 10 softmax }\nsummary net\nplot net")
        displays = [m["content"] for m in messages if m["msg_type"] == "display_data"]
        self.assertEqual(len(displays), 2)
        summary, graph = displays
        self.assertIn("<table", summary["data"]["text/html"])
        self.assertIn("conv2d (Conv2D)", summary["data"]["text/html"])
        self.assertIn("Total params: 36,122", summary["data"]["text/html"])
        self.assertIn("Total params: 36,122", summary["data"]["text/plain"])
        self.assertIn("<svg", graph["data"]["image/svg+xml"])
        self.assertIn("image/png", graph["data"])
        # A value is the cell's result as text.
        reply, messages = self.run_cell(kc, "data.classes")
        self.assertTrue(self.result_text(messages).startswith("['"))

    def test_live_training_display(self):
        km, kc = self.start(env={"CNNB_LIMIT": "300"})
        self.run_cell(kc, SETUP)
        reply, messages = self.run_cell(kc, "h = fit net on data.train epochs 2 validate data.test")
        self.assertEqual(reply["content"]["status"], "ok")
        first = [m for m in messages if m["msg_type"] == "display_data"]
        updates = [m for m in messages if m["msg_type"] == "update_display_data"]
        self.assertEqual(len(first), 1, "one display for the training")
        display_id = first[0]["content"]["transient"]["display_id"]
        self.assertTrue(updates)
        self.assertTrue(all(u["content"]["transient"]["display_id"] == display_id for u in updates))
        last = updates[-1]["content"]["data"]
        self.assertIn("Epoch 1/2", last["text/plain"])
        self.assertIn("Epoch 2/2", last["text/plain"])
        self.assertRegex(last["text/plain"], r"val_accuracy: \d\.\d{4}")
        self.assertIn('<img src="data:image/png;base64,', last["text/html"])
        # The chart arrives after the first epoch, before the second begins.
        texts = [u["content"]["data"] for u in updates]
        first_chart = next(i for i, d in enumerate(texts) if "<img" in d["text/html"])
        self.assertNotIn("Epoch 2/2", texts[first_chart]["text/plain"])

    def interrupt_during_fit(self, interrupt):
        km, kc = self.start()
        self.run_cell(kc, SETUP)
        reply, messages = self.run_cell(kc, "before = evaluate net on data.test\nbefore")
        before = self.result_text(messages)
        msg_id = kc.execute("h = fit net on data.train epochs 1000\nafter_fit = 1")
        self.wait_for_training(kc, msg_id)
        start = time.time()
        interrupt(km)
        reply = self.reply(kc, msg_id, timeout=10)
        elapsed = time.time() - start
        self.assertLess(elapsed, 2.0, "the reply came %.2f s after the interrupt" % elapsed)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        messages = self.messages_until_idle(kc, msg_id)
        self.assertIn("KeyboardInterrupt", [m["content"].get("ename") for m in messages if m["msg_type"] == "error"])
        # The weights learnt so far are kept: the loss moved; h holds the history; the next cell runs.
        reply, messages = self.run_cell(kc, "evaluate net on data.test")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertNotEqual(self.result_text(messages), before)
        reply, messages = self.run_cell(kc, "h")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("stopped during epoch", self.result_text(messages))
        reply, _ = self.run_cell(kc, "after_fit")
        self.assertEqual(reply["content"]["status"], "error", "the statements after the interrupted one did not run")

    def test_interrupt_request_during_fit(self):
        def interrupt(km):
            self.assertEqual(km.kernel_spec.interrupt_mode, "message")
            km.interrupt_kernel()
        self.interrupt_during_fit(interrupt)

    def test_sigint_during_fit(self):
        self.interrupt_during_fit(lambda km: km.signal_kernel(signal.SIGINT))

    def interrupted_cell(self, km, kc, code, started):
        """Runs code, calls started(messages so far) on each iopub message of the cell until it
        says the work is under way, interrupts with interrupt_request; returns the reply, the
        seconds it took after the interrupt, and the cell's iopub messages."""
        msg_id = kc.execute(code)
        seen = []
        deadline = time.time() + 120
        while not started(seen):
            self.assertLess(time.time(), deadline, "the cell did not get going: %s" % [m["msg_type"] for m in seen])
            try:
                msg = kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                seen.append(msg)
        begun = time.time()
        km.interrupt_kernel()
        reply = self.reply(kc, msg_id, timeout=30)
        elapsed = time.time() - begun
        return reply, elapsed, seen + self.messages_until_idle(kc, msg_id)

    def test_interrupt_request_during_load(self):
        folder = os.path.join(self.home, "big-mnist")
        big_mnist(folder)
        km, kc = self.start()
        self.run_cell(kc, "x = 41")
        started = [None]

        def reading(seen):
            # Half a second into the cell: well inside a read of 2.35 GB.
            if started[0] is None and any(m["msg_type"] == "execute_input" for m in seen):
                started[0] = time.time()
            return started[0] is not None and time.time() - started[0] > 0.5
        reply, elapsed, messages = self.interrupted_cell(km, kc, 'data = load mnist from "%s"\nafter = 1' % folder, reading)
        self.assertLess(elapsed, 2.0, "the reply came %.2f s after the interrupt" % elapsed)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        self.assertEqual(reply["content"]["evalue"], "loading stopped with Ctrl-C; nothing was loaded")
        # The session is intact, the load defined nothing and the statements after it did not run.
        reply, messages = self.run_cell(kc, ":vars")
        self.assertEqual(self.result_text(messages), "x  41")
        reply, messages = self.run_cell(kc, "x + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(self.result_text(messages), "42")

    def download_kernel(self, server):
        """A kernel whose datasets are nowhere on disk and download from `server`."""
        cache = os.path.join(self.home, "cache")
        empty = os.path.join(self.home, "no-data")
        os.makedirs(empty)
        km, kc = self.start(env={"CNNB_DATA": empty, "CNNB_DATA_URL": server.url, "XDG_CACHE_HOME": cache})
        return km, kc, os.path.join(cache, "cnnb", "datasets")

    def test_interrupt_request_during_download(self):
        # 10 MB at 20 KB every 20 ms (about 1 MB/s): ten seconds unless interrupted.
        server = SlowServer(size=10_000_000, chunk=20_000, pause=0.02)
        self.addCleanup(server.stop)
        km, kc, cache = self.download_kernel(server)
        self.run_cell(kc, "x = 41")

        def downloading(seen):
            return any(m["msg_type"] == "update_display_data" for m in seen)
        reply, elapsed, messages = self.interrupted_cell(km, kc, "data = load mnist\nafter = 1", downloading)
        self.assertLess(elapsed, 2.0, "the reply came %.2f s after the interrupt" % elapsed)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        self.assertEqual(reply["content"]["evalue"],
                         "the download of train-images-idx3-ubyte.gz was interrupted; nothing was kept in the cache")
        self.assertTrue(server.closed_early.wait(5), "the transfer was cancelled")
        self.assertEqual(os.listdir(cache), [], "nothing half-written is left in the cache")
        # The progress was a display in the notebook, not lines in the kernel's log.
        shown = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
        self.assertEqual(shown[0]["msg_type"], "display_data")
        self.assertRegex(shown[-1]["content"]["data"]["text/plain"],
                         r"^train-images-idx3-ubyte\.gz \d+\.\d/10\.0 MB \[=*>\.*\] +\d+%")
        self.assertNotIn("MB [", self.kernel_stderr())
        # The session is intact and the next cell runs.
        reply, messages = self.run_cell(kc, ":vars")
        self.assertEqual(self.result_text(messages), "x  41")
        reply, messages = self.run_cell(kc, "x + 1")
        self.assertEqual(self.result_text(messages), "42")

    def test_download_progress_updates_in_place(self):
        # 1 MB at 50 KB every 50 ms: a second of progress, then the checksum (zeros are not MNIST).
        server = SlowServer(size=1_000_000, chunk=50_000, pause=0.05)
        self.addCleanup(server.stop)
        km, kc, cache = self.download_kernel(server)
        reply, messages = self.run_cell(kc, "data = load mnist")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("checksum error", reply["content"]["evalue"])
        shown = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
        self.assertEqual([m["msg_type"] for m in shown[:2]], ["display_data", "update_display_data"])
        self.assertEqual(len([m for m in shown if m["msg_type"] == "display_data"]), 1, "one display, updated in place")
        ids = {m["content"]["transient"]["display_id"] for m in shown}
        self.assertEqual(len(ids), 1)
        # Throttled: about one update per 100 ms over a second, not one per chunk of data received.
        self.assertLessEqual(len(shown), 15)
        last = shown[-1]["content"]["data"]
        self.assertEqual(last["text/plain"], "train-images-idx3-ubyte.gz 1.0/1.0 MB [" + "=" * 30 + "] 100%")
        self.assertEqual(last["text/html"], "<pre>" + last["text/plain"] + "</pre>")
        self.assertNotIn("MB [", self.kernel_stderr())
        self.assertEqual(os.listdir(cache), [], "the corrupt download was deleted")
        # A second load downloads again, in a display of its own.
        reply, messages = self.run_cell(kc, "data = load mnist")
        again = [m for m in messages if m["msg_type"] == "display_data"]
        self.assertEqual(len(again), 1)
        self.assertNotIn(again[0]["content"]["transient"]["display_id"], ids)

    def test_allow_write_through_the_kernelspec(self):
        allowed = os.path.join(self.home, "allowed")
        os.makedirs(allowed)
        out = subprocess.run([BINARY, "kernel", "install", "--prefix", self.prefix, "--name", "cnnb-writer",
                              "--allow-write", allowed], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(os.path.join(self.prefix, "share", "jupyter", "kernels", "cnnb-writer", "kernel.json")) as f:
            argv = json.load(f)["argv"]
        self.assertEqual(argv[1:], ["kernel", "-f", "{connection_file}", "--allow-write", os.path.realpath(allowed)])
        cell = 'model tiny { input 4x4x1; flatten; dense 2 softmax }\nsave tiny weights "%s"'
        km, kc = self.start(kernel_name="cnnb-writer")
        reply, _ = self.run_cell(kc, cell % os.path.join(allowed, "tiny.npz"))
        self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
        self.assertTrue(os.path.exists(os.path.join(allowed, "tiny.npz")))
        # The plain kernel may not write there.
        km, kc = self.start()
        reply, _ = self.run_cell(kc, cell % os.path.join(allowed, "other.npz"))
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("an absolute path outside the output folder", reply["content"]["evalue"])
        self.assertFalse(os.path.exists(os.path.join(allowed, "other.npz")))
        # A folder that does not exist is refused at install, and nothing is installed.
        out = subprocess.run([BINARY, "kernel", "install", "--prefix", self.prefix, "--name", "cnnb-nowhere",
                              "--allow-write", os.path.join(self.home, "nowhere")], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("cannot allow writing in %s: there is no such folder" % os.path.join(self.home, "nowhere"), out.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.prefix, "share", "jupyter", "kernels", "cnnb-nowhere")))

    def start_under_parent(self, parent_pid_variable):
        """A kernel started by a short-lived Python parent (JPY_PARENT_PID set to the parent's id,
        as jupyter_client sets it, when asked); returns (parent, kernel pid, client)."""
        connection = os.path.join(self.home, "parent-connection.json")
        write_connection_file(connection, ip="127.0.0.1", key=b"parent-test")
        stderr = os.path.join(self.home, "orphan.err")
        script = ("import os, subprocess, sys, time\n"
                  "env = dict(os.environ)\n"
                  "env.pop('JPY_PARENT_PID', None)\n"
                  "if sys.argv[3] == 'yes': env['JPY_PARENT_PID'] = str(os.getpid())\n"
                  "kernel = subprocess.Popen([sys.argv[1], 'kernel', '-f', sys.argv[2]], env=env,\n"
                  "                          stdout=subprocess.DEVNULL, stderr=open(sys.argv[4], 'w'))\n"
                  "print(kernel.pid, flush=True)\n"
                  "time.sleep(600)\n")
        parent = subprocess.Popen([sys.executable, "-c", script, BINARY, connection,
                                   "yes" if parent_pid_variable else "no", stderr],
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: parent.poll() is None and parent.kill())
        kernel_pid = int(parent.stdout.readline())
        self.addCleanup(lambda: process_gone(kernel_pid) or os.kill(kernel_pid, signal.SIGKILL))
        kc = BlockingKernelClient(connection_file=connection)
        kc.load_connection_file()
        kc.start_channels()
        self.clients.append(kc)
        kc.wait_for_ready(timeout=TIMEOUT)
        return parent, kernel_pid, stderr

    def test_kernel_exits_when_its_parent_dies(self):
        parent, kernel, stderr = self.start_under_parent(True)
        parent.kill()
        parent.wait()
        killed = time.time()
        while not process_gone(kernel) and time.time() - killed < 10:
            time.sleep(0.1)
        self.assertTrue(process_gone(kernel), "the kernel outlived its parent by 10 s")
        self.assertLess(time.time() - killed, 3.0)
        with open(stderr) as f:
            self.assertIn("the process that started this kernel (JPY_PARENT_PID=%d) has exited; shutting down" % parent.pid, f.read())
        # Without JPY_PARENT_PID (started by hand, say) it is not watched, as ipykernel does.
        parent, kernel, stderr = self.start_under_parent(False)
        parent.kill()
        parent.wait()
        time.sleep(2.5)
        self.assertFalse(process_gone(kernel))

    def test_restart(self):
        km, kc = self.start()
        self.run_cell(kc, "x = 5")
        pid = km.provisioner.process.pid
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)
        self.assertNotEqual(km.provisioner.process.pid, pid)
        reply, messages = self.run_cell(kc, "x")
        self.assertEqual(reply["content"]["status"], "error", "a restarted kernel has a fresh session")
        self.assertEqual(reply["content"]["execution_count"], 1)

    def test_shutdown(self):
        km, kc = self.start()
        process = km.provisioner.process
        msg_id = kc.shutdown()
        # jupyter_client sends shutdown_request on the control channel.
        reply = kc.get_control_msg(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertFalse(reply["content"]["restart"])
        process.wait(timeout=10)
        self.assertEqual(process.returncode, 0)

    def test_history_and_comm_info(self):
        km, kc = self.start()
        for code in ["a = 1", "b = a + 1", "b"]:
            self.run_cell(kc, code)
        content = self.reply(kc, kc.history(hist_access_type="tail", n=2))["content"]
        self.assertEqual(content["status"], "ok")
        self.assertEqual([entry[1:] for entry in content["history"]], [[2, "b = a + 1"], [3, "b"]])
        content = self.reply(kc, kc.comm_info())["content"]
        self.assertEqual(content, {"status": "ok", "comms": {}})

    def test_wrong_signature_is_dropped(self):
        km, kc = self.start()
        info = km.get_connection_info()
        context = zmq.Context()
        dealer = context.socket(zmq.DEALER)
        dealer.connect("tcp://%s:%d" % (info["ip"], info["shell_port"]))
        wrong = Session(key=b"not-the-key", username="intruder")
        wrong.send(dealer, "kernel_info_request", {})
        self.assertEqual(dealer.poll(1500), 0, "a message with a wrong signature got a reply")
        dealer.close(0)
        context.term()
        deadline = time.time() + 5
        while "signature" not in self.kernel_stderr() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("dropped a message on the shell socket: the signature does not match", self.kernel_stderr())
        reply = kc.kernel_info(reply=True, timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        reply, _ = self.run_cell(kc, "1 + 1")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_ten_executes_while_busy_in_order(self):
        km, kc = self.start(env={"CNNB_LIMIT": "1000"})
        busy = kc.execute(SETUP + "\nfit net on data.train epochs 1")
        sent = [kc.execute("n = %d\nn" % i) for i in range(10)]
        self.assertEqual(self.reply(kc, busy, timeout=300)["content"]["status"], "ok")
        replies = [kc.get_shell_msg(timeout=TIMEOUT) for _ in sent]
        self.assertEqual([r["parent_header"]["msg_id"] for r in replies], sent)
        self.assertEqual([r["content"]["status"] for r in replies], ["ok"] * 10)
        self.assertEqual([r["content"]["execution_count"] for r in replies], list(range(2, 12)))
        reply, messages = self.run_cell(kc, "n")
        self.assertEqual(self.result_text(messages), "9")

    def test_nbclient_runs_quick_notebook(self):
        source = os.path.join(CHECKOUT, "Notebooks", "quick.cnnb")
        path = os.path.join(self.home, "quick.ipynb")
        out = subprocess.run([BINARY, "convert", source, path], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        nb = nbformat.read(path, as_version=4)
        self.assertEqual(nb.metadata.kernelspec.name, "cnnb")
        os.environ["CNNB_LIMIT"] = "300"
        try:
            client = NotebookClient(nb, timeout=600, kernel_name="cnnb", resources={"metadata": {"path": self.home}})
            client.execute()
        finally:
            os.environ.pop("CNNB_LIMIT", None)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        self.assertEqual([c.execution_count for c in code], list(range(1, len(code) + 1)))
        for cell in code:
            self.assertFalse([o for o in cell.outputs if o.output_type == "error"], cell.source)
        pngs = [o for c in code for o in c.outputs if o.output_type == "display_data" and "image/png" in o.data]
        self.assertGreaterEqual(len(pngs), 5, "grid, model graph, chart, filters, features")
        self.assertEqual(nb.metadata.language_info.name, "cnnb")
        # Files the cells save go to cnnb-out beside the notebook, as the figures do.
        for name in ["net.npz", "net.onnx", "net.py", "predictions.npy"]:
            self.assertTrue(os.path.exists(os.path.join(self.home, "cnnb-out", name)), name)
        self.assertTrue(os.listdir(os.path.join(self.home, "cnnb-out", "figures")))

    def test_convert_round_trip(self):
        source = os.path.join(CHECKOUT, "Notebooks", "quick.cnnb")
        ipynb = os.path.join(self.home, "quick.ipynb")
        back = os.path.join(self.home, "back.cnnb")
        again = os.path.join(self.home, "again.ipynb")
        for a, b in [(source, ipynb), (ipynb, back), (back, again)]:
            out = subprocess.run([BINARY, "convert", a, b], capture_output=True, text=True, timeout=TIMEOUT)
            self.assertEqual(out.returncode, 0, out.stderr)
        first, second = nbformat.read(ipynb, as_version=4), nbformat.read(again, as_version=4)
        nbformat.validate(first)
        self.assertEqual([(c.cell_type, c.source) for c in first.cells], [(c.cell_type, c.source) for c in second.cells])
        self.assertEqual([c.cell_type for c in first.cells], ["markdown", "code", "code", "markdown", "code", "code", "code", "markdown", "code"])
        self.assertTrue(first.cells[2].source.startswith("show data.train[0..<16]"))
        with open(back) as f:
            once = f.read()
        subprocess.run([BINARY, "convert", again, back], check=True, capture_output=True, timeout=TIMEOUT)
        with open(back) as f:
            self.assertEqual(f.read(), once, "a .cnnb written from a notebook is written the same way again")
        # A cell line starting with %% cannot be written as .cnnb.
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\n%%time")])
        bad = os.path.join(self.home, "bad.ipynb")
        nbformat.write(nb, bad)
        out = subprocess.run([BINARY, "convert", bad, back], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("cell 1, line 2 starts with %%", out.stderr)

    def test_run_ipynb_writes_report_for_the_kernel(self):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Two cells"),
                                             nbformat.v4.new_code_cell("x = 6\nx * 7")])
        path = os.path.join(self.home, "two.ipynb")
        nbformat.write(nb, path)
        out_dir = os.path.join(self.home, "out")
        out = subprocess.run([BINARY, "run", path, "--out", out_dir], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        report = nbformat.read(os.path.join(out_dir, "two.ipynb"), as_version=4)
        nbformat.validate(report)
        self.assertEqual(report.metadata.kernelspec.name, "cnnb")
        self.assertEqual(report.metadata.language_info.name, "cnnb")
        version = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=TIMEOUT).stdout.strip()
        self.assertEqual(report.metadata.language_info.version, version)
        self.assertEqual(report.cells[1].outputs[-1].data["text/plain"], "42")
        # An error names the cell and the line within it, as Jupyter shows them.
        bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Errors"),
                                              nbformat.v4.new_code_cell("x = 1"),
                                              nbformat.v4.new_code_cell("y = 2\nz = nosuch")])
        bad_path = os.path.join(self.home, "bad.ipynb")
        nbformat.write(bad, bad_path)
        out = subprocess.run([BINARY, "run", bad_path, "--out", os.path.join(self.home, "bad-out")],
                             capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(out.returncode, 1)
        self.assertIn(bad_path + "[3]:2:5: error: 'nosuch' is not defined\nz = nosuch\n    ^~~~~~", out.stderr)
        self.assertIn("── [3] " + bad_path + "[3] ", out.stdout)
        # "Run All" with the installed kernel gives the same result.
        NotebookClient(report, timeout=120, kernel_name=report.metadata.kernelspec.name,
                       resources={"metadata": {"path": self.home}}).execute()
        self.assertEqual(report.cells[1].outputs[-1].data["text/plain"], "42")

    def start_bare(self, connection):
        path = os.path.join(self.home, "connection.json")
        with open(path, "w") as f:
            f.write(connection)
        return subprocess.run([BINARY, "kernel", "-f", path], capture_output=True, text=True, timeout=TIMEOUT)

    def test_malformed_connection_file(self):
        out = self.start_bare("{ not json")
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot use the connection file", out.stderr)
        self.assertIn("it is not JSON", out.stderr)
        self.assertIn("hint:", out.stderr)
        out = self.start_bare(json.dumps({"transport": "tcp", "ip": "127.0.0.1", "key": "k", "signature_scheme": "hmac-sha256"}))
        self.assertEqual(out.returncode, 1)
        self.assertIn('it has no "shell_port"', out.stderr)
        missing = subprocess.run([BINARY, "kernel", "-f", os.path.join(self.home, "nowhere.json")], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no such file", missing.stderr)
        self.assertNotIn("Fatal error", out.stderr + missing.stderr)

    def test_port_in_use(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        free = []
        for _ in range(4):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            free.append(s)
        ports = [s.getsockname()[1] for s in free]
        for s in free:
            s.close()
        connection = {"transport": "tcp", "ip": "127.0.0.1", "key": "k", "signature_scheme": "hmac-sha256",
                      "shell_port": port, "iopub_port": ports[0], "stdin_port": ports[1], "control_port": ports[2], "hb_port": ports[3]}
        out = self.start_bare(json.dumps(connection))
        taken.close()
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot listen on tcp://127.0.0.1:%d (shell): Address already in use" % port, out.stderr)
        self.assertIn("hint:", out.stderr)

    def test_invalid_utf8_cell(self):
        km, kc = self.start()
        # jupyter_client sends a lone surrogate as the raw byte it escapes: not UTF-8.
        msg_id = kc.execute("x = \"\udcff\"")
        reply = self.reply(kc, msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("not UTF-8", reply["content"]["evalue"])
        self.assertIn("not UTF-8", self.kernel_stderr())
        reply, messages = self.run_cell(kc, "1 + 2")
        self.assertEqual(self.result_text(messages), "3")

    def test_client_vanishes_mid_execution(self):
        km, kc = self.start()
        self.run_cell(kc, SETUP)
        msg_id = kc.execute("fit net on data.train epochs 1")
        kc.get_iopub_msg(timeout=TIMEOUT)
        kc.stop_channels()
        del kc
        time.sleep(0.5)
        fresh = km.client()
        self.clients.append(fresh)
        fresh.start_channels()
        fresh.wait_for_ready(timeout=300)
        reply, messages = self.run_cell(fresh, "2 + 2")
        self.assertEqual(self.result_text(messages), "4")
        self.assertTrue(km.is_alive())
        self.assertNotIn("Fatal error", self.kernel_stderr())


if __name__ == "__main__":
    unittest.main()
