#!/usr/bin/env python3
"""Drives the real `cnnb` binary through a pseudo-terminal, the way a person types at it.

    CNNB_BINARY=.build/debug/cnnb python3 Tests/REPLTests/pty/repl_pty_test.py -v [ReplPtyTests.test_NAME ...]

Each test starts the interactive session in a fresh temporary HOME with its own history file and
its own inputrc (so the machine's readline settings cannot change what is typed), and reads what
the terminal shows. REPLTests/PtyTests.swift runs every test here from `swift test`.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import pexpect

# The local HTTP server the kernel's download tests use too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "KernelTests", "jupyter"))
from slow_server import SlowServer, big_mnist  # noqa: E402

BINARY = os.environ.get("CNNB_BINARY", ".build/debug/cnnb")
PROMPT = "cnnb> "
MORE = "  ... "
TIMEOUT = 20
# Colour, cursor and mode escapes, and the carriage returns a terminal adds.
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()=>][0-9A-Za-z]?|\x07|\r")
UP = "\x1b[A"


def plain(text):
    return ESCAPES.sub("", text)


class Repl:
    """One interactive `cnnb` on a pseudo-terminal."""

    def __init__(self, home, history=None, args=(), columns=200, env=None):
        extra = env
        env = dict(os.environ)
        inputrc = os.path.join(home, "inputrc")
        if not os.path.exists(inputrc):
            with open(inputrc, "w") as f:
                f.write("set enable-bracketed-paste off\nset bell-style none\n")
        env.update(TERM="xterm", HOME=home, INPUTRC=inputrc,
                   CNNB_HISTORY=history or os.path.join(home, "history"))
        for name in ("CNNB_LIMIT", "CNNB_EPOCHS", "COLORTERM", "NO_COLOR"):
            env.pop(name, None)
        env.update(extra or {})
        self.child = pexpect.spawn(BINARY, list(args), env=env, cwd=home, encoding="utf-8",
                                   dimensions=(40, columns), timeout=TIMEOUT)
        self.prompt()

    def prompt(self, timeout=TIMEOUT):
        """Waits for the main prompt; returns what was shown since the last wait, without escapes."""
        self.child.expect_exact(PROMPT, timeout=timeout)
        return plain(self.child.before)

    def more(self):
        self.child.expect_exact(MORE)
        return plain(self.child.before)

    def enter(self, line, timeout=TIMEOUT):
        """Types a line and Return; returns the output the statement printed (the echoed line removed)."""
        self.child.send(line + "\r")
        shown = self.prompt(timeout)
        first, _, rest = shown.partition("\n")
        if line not in first:
            raise AssertionError("the terminal did not echo %r: %r" % (line, shown))
        return rest

    def quit(self):
        self.child.send(":quit\r")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


class ReplPtyTests(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cnnb-pty-")
        self.addCleanup(shutil.rmtree, self.home, True)

    def test_banner_then_prompt_and_ctrl_d_quits(self):
        repl = Repl(self.home)
        self.assertIn("type :help for help", plain(repl.child.before))
        repl.child.sendeof()
        repl.child.expect(pexpect.EOF)
        repl.child.close()
        self.assertEqual(repl.child.exitstatus, 0)

    def test_tab_completes_con_to_conv(self):
        repl = Repl(self.home)
        # `conv` starts conv, conv1d, conv2d and conv3d (`con` starts concat too).
        repl.child.send("layer conv")
        repl.child.expect_exact("layer conv")
        # Readline's usual way: the first Tab finds nothing to add, the second lists.
        repl.child.send("\t\t")
        repl.child.expect(r"conv\s+conv1d\s+conv2d\s+conv3d")
        repl.prompt()  # readline redraws the prompt and the line after the list
        # The line really holds `conv`: finishing it as `conv2d …` must be a valid statement.
        repl.child.send("2d 8 3x3 on 10x10x1\r")
        out = repl.prompt()
        self.assertIn("output shape:  (None, 8, 8, 8)", out)
        self.assertIn("parameters:    80", out)
        self.assertNotIn("error", out)
        repl.quit()

    def test_tab_completes_variables_and_members(self):
        repl = Repl(self.home)
        repl.enter("model tiny { input 8x8x1; flatten; dense 2 softmax }")
        repl.child.send("summary ti\t")
        repl.child.expect_exact("summary tiny")
        out = repl.enter("")
        self.assertIn("130", out)  # 64 * 2 + 2 parameters
        repl.child.send("tiny.la\t")
        repl.child.expect_exact("tiny.layers")
        out = repl.enter("")
        self.assertNotIn("error", out)
        repl.quit()

    def test_tab_completes_after_assignment_commands_and_paths(self):
        os.makedirs(os.path.join(self.home, "lessons"))
        with open(os.path.join(self.home, "lessons", "tiny.cnnb"), "w") as f:
            f.write("%%\nfrom_file = 7\n")
        repl = Repl(self.home)
        # After `NAME =` a statement starts again: keywords, and dataset names after `load`.
        repl.child.send("r = evalu\t")
        repl.child.expect_exact("r = evaluate ")
        repl.child.send("\x15")
        repl.child.send("h = fit m ep\t")
        repl.child.expect_exact("h = fit m epochs ")
        repl.child.send("\x15")  # Ctrl-U: clear the line
        repl.child.send("d = load sha\t")
        repl.child.expect_exact("d = load shapes ")
        repl.child.send("\x15")
        # A quoted string completes a file name.
        repl.child.send('save m weights "less\t')
        repl.child.expect_exact('save m weights "lessons/')
        repl.child.send("\x15")
        # `:commands`, then a file name after `:load`, slashes included.
        repl.child.send(":lo\t")
        repl.child.expect_exact(":load ")
        repl.child.send("less\t")  # (what was matched before is consumed: only the new text)
        repl.child.expect_exact("lessons/")
        repl.child.send("ti\t")
        repl.child.expect_exact("tiny.cnnb")
        repl.child.send("\r")
        repl.prompt()
        self.assertEqual(repl.enter("from_file").strip(), "7")
        repl.quit()

    def test_two_line_block(self):
        repl = Repl(self.home)
        repl.child.send("model m {\r")
        repl.more()
        repl.child.send("input 8x8x1; flatten; dense 2 softmax }\r")
        out = repl.prompt()
        self.assertNotIn("error", out)
        out = repl.enter("summary m")
        self.assertIn("Total params: 130", out)
        # An empty line closes a block whose `}` was left out.
        repl.child.send("model n {\r")
        repl.more()
        repl.child.send("input 4x4x1\r")
        repl.more()
        repl.child.send("flatten; dense 3 softmax\r")
        repl.more()
        repl.child.send("\r")
        repl.prompt()
        out = repl.enter("summary n")
        self.assertIn("Total params: 51", out)  # 16 * 3 + 3
        repl.quit()

    def test_history_kept_across_two_runs(self):
        history = os.path.join(self.home, "hist")
        first = Repl(self.home, history=history)
        out = first.enter("answer = 41 + 1; answer")
        self.assertEqual(out.strip(), "42")
        first.child.send("model h {\r")
        first.more()
        first.child.send("input 4x4x1\r")
        first.more()
        first.child.send("flatten; dense 2 softmax }\r")
        first.prompt()
        self.assertEqual(first.quit(), 0)
        # The file: a `#TIME` line before each entry, a block's lines kept as one entry.
        with open(history) as f:
            entries = []
            for line in f.read().splitlines():
                if re.fullmatch(r"#\d+", line):
                    entries.append([])
                else:
                    entries[-1].append(line)
        self.assertEqual(["\n".join(e) for e in entries],
                         ["answer = 41 + 1; answer", "model h {\ninput 4x4x1\nflatten; dense 2 softmax }", ":quit"])
        second = Repl(self.home, history=history)
        # Up: `:quit`, then the block, then the statement typed in the first run.
        second.child.send(UP)
        second.child.expect_exact(":quit")
        second.child.send(UP)
        second.child.expect_exact("flatten; dense 2 softmax }")
        # The recalled block runs as one entry.
        second.child.send("\r")
        self.assertNotIn("error", second.prompt())
        self.assertIn("Total params: 34", second.enter("summary h"))  # 16 * 2 + 2
        for _ in range(5):  # summary h, the block again, :quit, the block, the statement
            second.child.send(UP)
        second.child.expect_exact("answer = 41 + 1; answer")
        second.child.send("\r")
        out = second.prompt()
        self.assertEqual(out.strip().splitlines()[-1], "42", out)
        # Reverse search (Ctrl-R) finds it too.
        second.enter("answer = 0")
        second.child.send("\x12swer = 41")
        second.child.expect_exact("answer = 41 + 1; answer")
        second.child.send("\r")
        out = second.prompt()
        self.assertEqual(out.strip().splitlines()[-1], "42", out)
        second.quit()

    def test_history_file_keeps_the_last_entries(self):
        history = os.path.join(self.home, "hist")
        repl = Repl(self.home, history=history, env={"CNNB_HISTORY_SIZE": "3"})
        for n in range(5):
            repl.enter("v%d = %d" % (n, n))
        repl.child.send("model last {\r")
        repl.more()
        repl.child.send("input 2x2x1; flatten }\r")
        repl.prompt()
        repl.quit()
        with open(history) as f:
            text = f.read()
        entries = [e for e in re.split(r"(?m)^#\d+\n", text) if e]
        self.assertEqual(entries, ["v4 = 4\n", "model last {\ninput 2x2x1; flatten }\n", ":quit\n"])

    def test_failing_statement_keeps_earlier_values(self):
        repl = Repl(self.home)
        self.assertEqual(repl.enter("a = 5").strip(), "")
        out = repl.enter("a = a + nosuch")
        self.assertIn("error", out)
        self.assertIn("nosuch", out)
        out = repl.enter("b = a * 2; b")
        self.assertEqual(out.strip(), "10")
        out = repl.enter("model bad { input 8x8; conv 4 3x3 }")
        self.assertIn("error", out)
        out = repl.enter("a + b")
        self.assertEqual(out.strip(), "15")
        repl.quit()

    def test_ctrl_c_at_prompt_clears_line(self):
        repl = Repl(self.home)
        repl.child.send("this is not cnnb")
        repl.child.expect_exact("this is not cnnb")
        repl.child.sendintr()
        repl.prompt()
        out = repl.enter("6 * 7")
        self.assertEqual(out.strip(), "42")
        repl.quit()

    def test_ctrl_c_abandons_a_block(self):
        repl = Repl(self.home)
        repl.child.send("model half {\r")
        repl.more()
        repl.child.send("input 4x4x1")
        repl.child.expect_exact("input 4x4x1")
        repl.child.sendintr()
        repl.prompt()
        self.assertEqual(repl.enter("2 + 3").strip(), "5")
        self.assertIn("'half' is not defined", repl.enter("summary half"))
        repl.quit()

    def test_save_then_run_gives_same_output(self):
        repl = Repl(self.home)
        entries = [
            "x = 3",
            "x * 2",
            "layer conv 4 3x3 stride 2 on 9x9x1",
            "model m {\ninput 8x8x1; conv 2 3x3 relu; flatten; dense 2 softmax }",
            "summary m",
            "shape [[1, 2, 3], [4, 5, 6]]",
        ]
        shown = []
        for entry in entries:
            lines = entry.split("\n")
            for line in lines[:-1]:
                repl.child.send(line + "\r")
                repl.more()
            shown.append(repl.enter(lines[-1]))
            self.assertNotIn("error", shown[-1], entry)
        self.assertIn("error", repl.enter("x + missing"))
        notebook = os.path.join(self.home, "saved.cnnb")
        out = repl.enter(":save " + notebook)
        self.assertIn("saved", out)
        repl.quit()
        with open(notebook) as f:
            saved = f.read()
        self.assertNotIn("missing", saved, "a failing statement is not saved")
        for entry in entries:
            self.assertIn(entry, saved)
        run = subprocess.run([BINARY, "run", notebook, "--out", os.path.join(self.home, "out")],
                             cwd=self.home, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        # Drop `cnnb run`'s own lines: the cell headers and the closing summary.
        lines = [line for line in run.stdout.splitlines()
                 if not line.startswith("── [") and not line.startswith(notebook + ":")
                 and not line.startswith("file://")]
        self.assertEqual("\n".join(lines).strip(), "".join(shown).strip())

    def test_ctrl_c_stops_fit_and_keeps_the_model(self):
        repl = Repl(self.home)
        repl.enter("data = load shapes", timeout=60)
        repl.enter("data = data / 255")
        repl.enter("model m { input 32x32x3; conv 8 3x3 relu; pool 2; flatten; dense 10 softmax }")
        repl.enter("compile m optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        repl.child.send("h = fit m on data.train epochs 50\r")
        repl.child.expect_exact("Epoch 1/50", timeout=60)
        # Wait for the live progress line of a running batch, then press Ctrl-C.
        repl.child.expect(r"\d+/\d+(\x1b\[0m)? ", timeout=60)
        started = time.monotonic()
        repl.child.sendintr()
        out = repl.prompt(timeout=30)
        self.assertLess(time.monotonic() - started, 15, "Ctrl-C must stop after the current batch")
        self.assertIn("stopped after", out)
        self.assertNotIn("Epoch 50/50", out)
        self.assertNotIn("error", out)
        # The model keeps its weights and still works; the history so far is kept.
        out = repl.enter("evaluate m on data.test", timeout=60)
        match = re.search(r"accuracy: (\d+\.\d\d)%", out)
        self.assertIsNotNone(match, out)
        self.assertRegex(repl.enter("h"), r"\(stopped during epoch \d+, after \d+ batches\)")
        out = repl.enter(":vars")
        self.assertRegex(out, r"(?m)^h\s")
        self.assertRegex(out, r"(?m)^m\s")
        # The session is still interactive after the interrupted statement.
        self.assertEqual(repl.enter("1 + 1").strip(), "2")
        repl.quit()

    def test_no_escape_sequences_under_no_color(self):
        # NO_COLOR (no-color.org): no colour in diagnostics, progress or pictures, and the live
        # line is redrawn with a carriage return and spaces alone.
        repl = Repl(self.home, env={"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"})
        raw = ""
        for line, timeout in [("data = load shapes", 60), ("data = data / 255", TIMEOUT),
                              ("show data.train[0..<4] grid 2x2 labels", TIMEOUT), ("layer conw 8 3x3", TIMEOUT),
                              ("model m { input 32x32x3; pool 8; flatten; dense 10 softmax }", TIMEOUT),
                              ("compile m optimizer sgd loss sparse_categorical_crossentropy metrics accuracy", TIMEOUT),
                              ("fit m on data.train epochs 2", 120), ("evaluate m on data.test", 60)]:
            repl.child.send(line + "\r")
            repl.child.expect_exact(PROMPT, timeout=timeout)
            raw += repl.child.before
        self.assertIn("unknown layer kind 'conw'", raw)
        self.assertIn("Epoch 2/2", raw)
        self.assertIn("<figure: image grid", raw)
        self.assertNotIn("\x1b", raw)
        repl.quit()
        # The same session with colour: the diagnostic is coloured, the picture drawn.
        repl = Repl(self.home, env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
        repl.child.send("layer conw 8 3x3\r")
        repl.child.expect_exact(PROMPT)
        self.assertIn("\x1b[31;1m", repl.child.before)
        repl.quit()
        # --color never wins over a colour terminal.
        repl = Repl(self.home, args=["--color", "never"], env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
        repl.child.send("layer conw 8 3x3\r")
        repl.child.expect_exact(PROMPT)
        self.assertNotIn("\x1b[31;1m", repl.child.before)
        repl.quit()

    def test_ctrl_c_stops_load_and_keeps_the_session(self):
        folder = os.path.join(self.home, "big-mnist")
        big_mnist(folder)
        repl = Repl(self.home)
        repl.enter("x = 41")
        repl.child.send('data = load mnist from "%s"\r' % folder)
        repl.child.expect_exact("big-mnist")
        time.sleep(0.5)
        started = time.monotonic()
        repl.child.sendintr()
        out = repl.prompt(timeout=60)
        self.assertLess(time.monotonic() - started, 15, "Ctrl-C must stop the load within a chunk")
        self.assertIn("error: loading stopped with Ctrl-C; nothing was loaded", out)
        self.assertIn("hint: the session keeps the values it had", out)
        # The session goes on with what it had; nothing was defined.
        out = repl.enter(":vars")
        self.assertRegex(out, r"(?m)^x\s")
        self.assertNotRegex(out, r"(?m)^data\s")
        self.assertEqual(repl.enter("x + 1").strip(), "42")
        repl.quit()

    def test_ctrl_c_stops_a_download(self):
        # 10 MB at 20 KB every 20 ms (about 1 MB/s) from a local server: ten seconds unless stopped.
        server = SlowServer(size=10_000_000, chunk=20_000, pause=0.02)
        self.addCleanup(server.stop)
        cache = os.path.join(self.home, "cache")
        empty = os.path.join(self.home, "no-data")
        os.makedirs(empty)
        repl = Repl(self.home, env={"CNNB_DATA": empty, "CNNB_DATA_URL": server.url, "XDG_CACHE_HOME": cache})
        repl.enter("x = 41")
        repl.child.send("data = load mnist\r")
        # The bar is drawn on the terminal; once it moves, press Ctrl-C.
        repl.child.expect(r"train-images-idx3-ubyte\.gz [1-9]\d*\.\d/10\.0 MB", timeout=60)
        started = time.monotonic()
        repl.child.sendintr()
        out = repl.prompt(timeout=30)
        self.assertLess(time.monotonic() - started, 2, "Ctrl-C must cancel the transfer")
        self.assertIn("error: the download of train-images-idx3-ubyte.gz was interrupted; nothing was kept in the cache", out)
        self.assertIn("hint: the session keeps the values it had; load mnist again to download it from the start", out)
        self.assertTrue(server.closed_early.wait(5), "the transfer was cancelled")
        self.assertEqual(os.listdir(os.path.join(cache, "cnnb", "datasets")), [])
        out = repl.enter(":vars")
        self.assertRegex(out, r"(?m)^x\s")
        self.assertNotRegex(out, r"(?m)^data\s")
        self.assertEqual(repl.enter("x + 1").strip(), "42")
        repl.quit()

    def test_live_progress_fits_a_narrow_terminal(self):
        # A progress line wider than the terminal would wrap, and `\r` could not redraw it in place.
        repl = Repl(self.home, columns=60)
        repl.enter("data = load shapes", timeout=60)
        repl.enter("data = data / 255")
        repl.enter("model m { input 32x32x3; conv 8 3x3 relu; pool 2; flatten; dense 10 softmax }")
        repl.enter("compile m optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        repl.child.send("fit m on data.train epochs 2\r")
        repl.child.expect_exact("Epoch 1/2", timeout=60)
        raw = ""
        for _ in range(3):  # three redraws of the running epoch, then stop it
            repl.child.expect(r"\r\x1b\[K(\x1b\[1m)?\s*\d+/157(\x1b\[0m)? ", timeout=60)
            raw += repl.child.before + repl.child.after
        repl.child.sendintr()
        repl.prompt(timeout=30)
        raw += repl.child.before
        # Redrawn lines follow `\r ESC[K` and end without a line break; finished lines end with one.
        # (The terminal itself echoes Ctrl-C as `^C`.)
        redraws = [plain(part.replace("^C", "")) for part in raw.split("\r\x1b[K")[1:] if "\n" not in part]
        self.assertGreaterEqual(len(redraws), 2, repr(raw))
        for part in redraws:
            self.assertLessEqual(len(part), 59, repr(part))
        self.assertTrue(any(len(part) == 59 for part in redraws), "a cut line fills the width")
        # Whole lines are printed whole: the terminal wraps them.
        self.assertRegex(plain(raw), r"stopped after \d+ batches of epoch 1; the weights keep every update so far")
        repl.quit()

    def test_figures_inline_by_the_terminals_own_protocol(self):
        # kitty by its TERM, iTerm2 by TERM_PROGRAM, sixel when asked: the picture's escape
        # sequence follows the figure's line, in place of the half blocks.
        cases = [({"TERM": "xterm-kitty"}, "\x1b_Gf=100,a=T,", "\x1b\\"),
                 ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "\x1b]1337;File=name=", "\x07"),
                 ({"TERM": "xterm", "CNNB_IMAGES": "sixel"}, "\x1bPq\"1;1;", "\x1b\\")]
        for env, start, end in cases:
            repl = Repl(self.home, env=env)
            repl.enter("d = load shapes")
            repl.child.send("show d.train[0..<4] grid 2x2 labels\r")
            repl.prompt()
            raw = repl.child.before
            self.assertIn("<figure: image grid 2x2", raw)
            self.assertIn(start, raw, env)
            self.assertIn(end, raw[raw.index(start):], env)
            self.assertNotIn("\u2580", raw, "no half blocks where the terminal has a protocol")
            repl.quit()

    def test_figure_preview_in_a_colour_terminal(self):
        model = "model g { input 8x8x1; conv 4 3x3 relu; flatten; dense 2 softmax }"
        repl = Repl(self.home, columns=100, env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
        repl.enter("d = load shapes")
        repl.child.send("show d.train[0..<4] grid 2x2 labels\r")
        repl.prompt()
        raw = repl.child.before
        match = re.search(r"<figure: image grid 2x2 of 4 images, (\d+)x(\d+) px> \u2192 (\S+\.png)", raw)
        self.assertIsNotNone(match, raw)
        self.assertTrue(os.path.exists(os.path.join(self.home, match.group(3))))
        rows = [line for line in raw.split("\r\n") if "\u2580" in line]
        self.assertTrue(rows, raw)
        columns = {line.count("\u2580") for line in rows}
        self.assertEqual(len(columns), 1, "every line of the preview is as wide")
        self.assertLessEqual(columns.pop(), 64)
        self.assertRegex(rows[0], r"^\x1b\[38;2;\d+;\d+;\d+;48;2;\d+;\d+;\d+m\u2580")
        self.assertTrue(all(line.endswith("\x1b[0m") for line in rows))
        # A model graph is read in its file, not previewed.
        repl.enter(model)
        out = repl.enter("plot g")
        self.assertIn("<figure: model graph", out)
        self.assertNotIn("\u2580", out)
        repl.quit()
        # No colour: the file name only.
        for env in ({"TERM": "xterm"}, {"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"}):
            repl = Repl(self.home, env=env)
            repl.enter("d = load shapes")
            out = repl.enter("show d.train[0..<4] grid 2x2 labels")
            self.assertIn("<figure: image grid", out)
            self.assertNotIn("\u2580", out)
            repl.quit()

if __name__ == "__main__":
    unittest.main()
