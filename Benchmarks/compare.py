#!/usr/bin/env python3
"""cnnb against its peers in one run, on the same CIFAR-10 images and the same cores.

    .venv/bin/python Benchmarks/compare.py [--data DIR] [--images N] [--epochs E] [--threads T]
                                           [--rounds R] [--passes P] [--keras-backends jax,tensorflow]

R rounds (default 3), one engine after another so that none competes with another; cnnb runs
first in the odd rounds and last in the even ones, so that a machine whose speed drifts
favours neither side:
  1. `cnnb-bench` (release build) trains the seed model on the first N training images, prints
     its training and inference rates and the machine's sgemm rate, and writes the trained
     model as ONNX (`--export-onnx`);
  2. ONNX Runtime runs that file over the test images, batch 32, intra-op threads T, best of
     P passes (its accuracy must match cnnb's: same weights);
  3. Keras trains the same model (Adam, sparse categorical cross-entropy, batch 32) on the same
     images after a short warm-up fit (tracing and compiling are a one-off cost, not its speed),
     then predicts the test images, best of P passes: once per backend, each in a process of
     its own (KERAS_BACKEND is read at import).

Everything runs pinned to T cores (default: all this process may use). Prints key=value lines
on stdout (progress on stderr): each number's key names the engine and, for Keras, the backend
(`keras_jax_train_img_per_s`), then the ratios (`ratio_train_cnnb_over_keras_jax`, ...), each
ratio taken within a round. A number is the median of the rounds; KEY_rounds lists them.
A benchmark, not a test: absolute rates move with the machine and its load, ratios less so.
TensorFlow is not in .ci/requirements.txt: `pip install -r Benchmarks/requirements.txt`.
"""
import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CIFAR_FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = ["data_batch_%d.bin" % i for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
RECORD = 1 + 32 * 32 * 3
BATCH = 32


def fail(message, hint=None):
    print("compare.py: error: " + message, file=sys.stderr)
    if hint:
        print("  hint: " + hint, file=sys.stderr)
    sys.exit(2)


def log(line):
    print(line, file=sys.stderr, flush=True)


def number(value, form=None):
    """`value` as text: `form` if given, else as many decimals as its size needs."""
    if form:
        return form % value
    return ("%.4f" % value) if abs(value) < 10 else ("%.1f" % value) if abs(value) < 1000 else ("%.0f" % value)


def emit(key, value):
    if isinstance(value, float):
        value = number(value)
    print("%s=%s" % (key, value), flush=True)


def emit_rounds(key, values, form=None):
    """The median of the rounds' `values` as `key`, and each round's as `key`_rounds."""
    print("%s=%s" % (key, number(statistics.median(values), form)), flush=True)
    if len(values) > 1:
        print("%s_rounds=%s" % (key, " ".join(number(v, form) for v in values)), flush=True)


# --- data -------------------------------------------------------------------------------

def cifar_folder(data):
    """The cifar-10-batches-bin folder in or at `data`, or None."""
    for folder in (Path(data) / CIFAR_FOLDER, Path(data)):
        if all((folder / name).is_file() for name in TRAIN_FILES + [TEST_FILE]):
            return folder
    return None


def read_records(path, limit=None):
    """Images (N, 32, 32, 3) uint8 channels-last and labels (N,) int32 of one binary file."""
    import numpy as np
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % RECORD:
        fail("%s holds %d bytes, not a whole number of %d-byte CIFAR-10 records" % (path, raw.size, RECORD))
    records = raw.reshape(-1, RECORD)[:limit]
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, 0].astype(np.int32)


def load_cifar(folder, train_count):
    """The first `train_count` training images (files in order, as cnnb's loader reads them)
    and the test images, scaled to [0, 1] as float32."""
    import numpy as np
    xs, ys, left = [], [], train_count
    for name in TRAIN_FILES:
        if left <= 0:
            break
        x, y = read_records(folder / name, left)
        xs.append(x)
        ys.append(y)
        left -= len(y)
    if left > 0:
        fail("asked for %d training images, %s holds %d" % (train_count, folder, train_count - left))
    test_x, test_y = read_records(folder / TEST_FILE)
    scale = np.float32(1 / 255)
    return (np.concatenate(xs).astype(np.float32) * scale, np.concatenate(ys),
            test_x.astype(np.float32) * scale, test_y)


# --- ONNX Runtime -----------------------------------------------------------------------

def time_onnxruntime(path, test_x, test_y, threads, passes):
    import numpy as np
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    batches = [test_x[i:i + BATCH] for i in range(0, len(test_x), BATCH)]
    rates, processor_rates, predictions = [], [], None
    for k in range(passes + 1):  # the first pass warms up
        start, processor_start = time.perf_counter(), time.process_time()
        outputs = [session.run(None, {name: batch})[0] for batch in batches]
        seconds, processor_seconds = time.perf_counter() - start, time.process_time() - processor_start
        if k > 0:
            rates.append(len(test_x) / seconds)
            processor_rates.append(len(test_x) / processor_seconds)
        predictions = outputs
    accuracy = float(np.mean(np.concatenate(predictions).argmax(axis=1) == test_y))
    return {"version": ort.__version__, "infer_img_per_s": max(rates),
            "infer_img_per_cpu_s": max(processor_rates), "test_acc": accuracy}


# --- Keras (run in a process of its own per backend) ------------------------------------

def keras_worker(args):
    """Trains and times the seed model with Keras on KERAS_BACKEND; prints one JSON line."""
    import numpy as np
    backend = os.environ["KERAS_BACKEND"]
    if backend == "tensorflow":
        import tensorflow as tf
        # TensorFlow's defaults on a machine of `threads` cores.
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        engine_version = tf.__version__
    else:
        import jax
        engine_version = jax.__version__
    import keras
    from keras import layers
    folder = cifar_folder(args.data)
    train_x, train_y, test_x, test_y = load_cifar(folder, args.images)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
        layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # The warm-up ends on a batch of the size the timed run ends on, so no shape is traced
    # for the first time inside the timing.
    warmup = min(args.warmup_batches * BATCH + args.images % BATCH, args.images)
    start = time.perf_counter()
    model.fit(train_x[:warmup], train_y[:warmup], batch_size=BATCH, epochs=1, verbose=0)
    warmup_seconds = time.perf_counter() - start
    start, processor_start = time.perf_counter(), time.process_time()
    model.fit(train_x, train_y, batch_size=BATCH, epochs=args.epochs, shuffle=True, verbose=0)
    train_seconds, train_processor_seconds = time.perf_counter() - start, time.process_time() - processor_start
    rates, processor_rates, predictions = [], [], None
    for k in range(args.passes + 1):  # the first pass traces predict and warms up
        start, processor_start = time.perf_counter(), time.process_time()
        predictions = model.predict(test_x, batch_size=BATCH, verbose=0)
        seconds, processor_seconds = time.perf_counter() - start, time.process_time() - processor_start
        if k > 0:
            rates.append(len(test_x) / seconds)
            processor_rates.append(len(test_x) / processor_seconds)
    print(json.dumps({
        "keras_version": keras.__version__, "engine_version": engine_version,
        "warmup_images": warmup, "warmup_img_per_s": warmup / warmup_seconds,
        "train_img_per_s": args.images * args.epochs / train_seconds,
        "train_img_per_cpu_s": args.images * args.epochs / train_processor_seconds,
        "infer_img_per_s": max(rates),
        "infer_img_per_cpu_s": max(processor_rates),
        "test_acc": float(np.mean(predictions.argmax(axis=1) == test_y)),
    }), flush=True)


def run_keras(backend, args):
    """The worker's numbers for `backend`, or (None, why) when it could not run."""
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, str(Path(__file__).resolve()), "--keras-worker",
               "--data", str(args.data), "--images", str(args.images), "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--passes", str(args.passes),
               "--warmup-batches", str(args.warmup_batches)]
    process = subprocess.run(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        tail = [line for line in process.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        why = "exit status %d: %s" % (process.returncode, tail[0].strip())
        if backend == "tensorflow" and "No module named" in why:
            why += " (install it: .venv/bin/pip install -r Benchmarks/requirements.txt)"
        return None, why
    return json.loads(lines[-1]), None


# --- cnnb -------------------------------------------------------------------------------

def check_build(bench):
    if not bench.is_file():
        fail("no cnnb-bench at %s" % bench,
             "build it first: swift build -c release --product cnnb-bench (or pass --build DIR)")
    built = bench.stat().st_mtime
    newer = [p for p in list((REPO / "Sources").rglob("*.swift")) + list((REPO / "Benchmarks").glob("*.swift"))
             if p.stat().st_mtime > built]
    if newer:
        log("compare.py: warning: %s is older than %d source file(s) (%s): rebuild for current numbers"
            % (bench, len(newer), newer[0].relative_to(REPO)))


def run_cnnb(bench, args, onnx_path):
    command = [str(bench), "--data", str(args.data), "--images", str(args.images), "--epochs", str(args.epochs),
               "--batch-size", str(BATCH), "--inference-passes", str(args.passes), "--export-onnx", str(onnx_path)]
    log("$ " + " ".join(command))
    process = subprocess.run(command, stdout=subprocess.PIPE, text=True)  # progress goes through to stderr
    if process.returncode != 0:
        fail("cnnb-bench failed (exit status %d)" % process.returncode, "its message is above")
    values = dict(line.split("=", 1) for line in process.stdout.splitlines() if "=" in line)
    if "test_acc" not in values:
        fail("cnnb-bench trained on random images, not on %s" % args.data,
             "it needs %s/%s" % (args.data, CIFAR_FOLDER))
    if not onnx_path.is_file():
        fail("cnnb-bench wrote no ONNX file at %s" % onnx_path)
    return values


# --- the run ----------------------------------------------------------------------------

def pin_threads(threads):
    """Pins this process (and so every child) to `threads` of the cores it may use."""
    allowed = sorted(os.sched_getaffinity(0))
    if threads is None:
        return len(allowed)
    if threads < 1 or threads > len(allowed):
        fail("--threads %d: this process may use %d core(s)" % (threads, len(allowed)))
    os.sched_setaffinity(0, allowed[:threads])
    return threads


def processor_name():
    """The model name with its family and model numbers (a generic name says little)."""
    fields = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    return "%s (family %s model %s)" % (fields.get("model name", "unknown"), fields.get("cpu family", "?"),
                                        fields.get("model", "?"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder holding %s (default: $CNNB_DATA, else ../shared/datasets or ~/.cache/cnnb/datasets)" % CIFAR_FOLDER)
    parser.add_argument("--images", type=int, default=10_000, help="training images (the first N; default 10000)")
    parser.add_argument("--epochs", type=int, default=1, help="timed training epochs (default 1)")
    parser.add_argument("--threads", type=int, help="cores every engine runs on (default: all this process may use)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds, each timing every engine once, cnnb first and last in turn; medians count (default 3)")
    parser.add_argument("--passes", type=int, default=5, help="inference passes over the test images; the best counts")
    parser.add_argument("--warmup-batches", type=int, default=64, help="batches of Keras's warm-up fit (default 64)")
    parser.add_argument("--keras-backends", default="jax,tensorflow",
                        help="comma-separated Keras backends to time (default jax,tensorflow; '' for none)")
    parser.add_argument("--build", default=str(REPO / ".build" / "release"), help="folder holding cnnb-bench")
    parser.add_argument("--keras-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for flag, value in (("--images", args.images), ("--epochs", args.epochs), ("--passes", args.passes),
                        ("--rounds", args.rounds),
                        ("--warmup-batches", args.warmup_batches)):
        if value < 1:
            fail("%s needs a whole number of at least 1, got %d" % (flag, value))

    if args.keras_worker:
        keras_worker(args)
        return

    # Found, not imported: importing keras here would start a backend in this process.
    missing = [module for module in ("numpy", "onnxruntime", "keras") if importlib.util.find_spec(module) is None]
    if missing:
        fail("%s cannot import %s" % (sys.executable, ", ".join(missing)),
             "run it with the repository's virtual environment (bash .ci/install makes it): "
             ".venv/bin/python Benchmarks/compare.py")

    data = args.data or os.environ.get("CNNB_DATA") or next(
        (str(d) for d in (REPO.parent / "shared" / "datasets", Path.home() / ".cache" / "cnnb" / "datasets")
         if cifar_folder(d)), str(REPO.parent / "shared" / "datasets"))
    if cifar_folder(data) is None:
        fail("no CIFAR-10 binary files (%s ... %s) in %s" % (TRAIN_FILES[0], TEST_FILE, data),
             "pass --data DIR or set CNNB_DATA to the folder holding %s" % CIFAR_FOLDER)
    args.data = os.path.abspath(data)
    available = sum((cifar_folder(data) / name).stat().st_size // RECORD for name in TRAIN_FILES)
    if args.images > available:
        fail("--images %d: %s holds %d training images" % (args.images, cifar_folder(data), available))
    bench = Path(args.build) / "cnnb-bench"
    check_build(bench)
    args.threads = pin_threads(args.threads)
    backends = [b.strip() for b in args.keras_backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("jax", "tensorflow", "torch"):
            fail("unknown Keras backend '%s'" % backend, "use jax, tensorflow or torch")

    emit("date_utc", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    emit("processor", processor_name())
    emit("threads", args.threads)
    emit("images", args.images)
    emit("epochs", args.epochs)
    emit("load_average_start", "%.2f" % os.getloadavg()[0])

    # Rounds in alternating order (cnnb first, then last, ...): a machine whose speed drifts
    # favours no engine, and the medians of the rounds' rates and ratios count.
    rounds, skipped = [], {}
    with tempfile.TemporaryDirectory(prefix="cnnb-compare-") as folder:
        onnx_path = Path(folder) / "seed.onnx"
        log("loading the images for the peers from %s" % args.data)
        _, _, test_x, test_y = load_cifar(cifar_folder(args.data), 1)
        for index in range(args.rounds):
            log("round %d of %d" % (index + 1, args.rounds))
            result = {"keras": {}}

            def time_cnnb():
                result["cnnb"] = run_cnnb(bench, args, onnx_path)

            def time_peers():
                # cnnb's export is the same every round (its training is deterministic), so the
                # first round's file serves a round that times the peers first.
                log("onnxruntime: %d test images, batch %d, %d intra-op threads, best of %d passes"
                    % (len(test_x), BATCH, args.threads, args.passes))
                result["onnx"] = time_onnxruntime(onnx_path, test_x, test_y, args.threads, args.passes)
                for backend in backends:
                    if backend in skipped:
                        continue
                    log("keras (%s backend): warm-up fit, then %d epoch(s) on %d images, then predict"
                        % (backend, args.epochs, args.images))
                    value, why = run_keras(backend, args)
                    if value is None:
                        skipped[backend] = why
                    else:
                        result["keras"][backend] = value

            for step in (time_cnnb, time_peers) if index % 2 == 0 else (time_peers, time_cnnb):
                step()
            rounds.append(result)

    first = rounds[0]
    for key in ("blas_kernel", "threads"):
        if key in first["cnnb"]:
            emit("cnnb_" + key, first["cnnb"][key])
    if first["cnnb"].get("threads") and int(first["cnnb"]["threads"]) != args.threads:
        log("compare.py: warning: cnnb-bench ran %s threads, the peers %d" % (first["cnnb"]["threads"], args.threads))
    for key in ("train_img_per_s", "infer_img_per_s", "sgemm_gflops", "train_gflops", "train_img_per_cpu_s",
                "infer_img_per_cpu_s", "peak_rss_mb", "test_acc"):
        if all(key in r["cnnb"] for r in rounds):
            emit_rounds("cnnb_" + key, [float(r["cnnb"][key]) for r in rounds])
    emit("onnxruntime_version", first["onnx"]["version"])
    for key in ("infer_img_per_s", "infer_img_per_cpu_s", "test_acc"):
        emit_rounds("onnxruntime_" + key, [r["onnx"][key] for r in rounds])
    for r in rounds:
        if abs(r["onnx"]["test_acc"] - float(r["cnnb"]["test_acc"])) > 1e-3:
            log("compare.py: warning: ONNX Runtime's accuracy on cnnb's export (%.4f) is not cnnb's (%s)"
                % (r["onnx"]["test_acc"], r["cnnb"]["test_acc"]))

    for backend in backends:
        prefix = "keras_%s_" % backend
        if backend in skipped:
            emit(prefix + "skipped", skipped[backend])
            continue
        timed = [r["keras"][backend] for r in rounds]
        emit(prefix + "versions", "keras %s, %s %s" % (timed[0]["keras_version"], backend, timed[0]["engine_version"]))
        for key in ("warmup_img_per_s", "train_img_per_s", "train_img_per_cpu_s", "infer_img_per_s",
                    "infer_img_per_cpu_s", "test_acc"):
            emit_rounds(prefix + key, [t[key] for t in timed])
    timed_backends = [b for b in backends if b not in skipped]

    def ratios(name, cnnb_key, peer):
        """`name` for every round: cnnb's `cnnb_key` over the peer's rate that round."""
        emit_rounds(name, [float(r["cnnb"][cnnb_key]) / peer(r) for r in rounds], "%.2f")

    emit_rounds("train_fraction_of_sgemm", [float(r["cnnb"]["train_fraction_of_sgemm"]) for r in rounds], "%.3f")
    ratios("ratio_infer_cnnb_over_onnxruntime", "infer_img_per_s", lambda r: r["onnx"]["infer_img_per_s"])
    for backend in timed_backends:
        ratios("ratio_train_cnnb_over_keras_%s" % backend, "train_img_per_s",
               lambda r, b=backend: r["keras"][b]["train_img_per_s"])
        ratios("ratio_infer_cnnb_over_keras_%s" % backend, "infer_img_per_s",
               lambda r, b=backend: r["keras"][b]["infer_img_per_s"])
    # Per second of processor time (all threads): what each costs, whatever else the machine
    # runs; spinning worker threads count against the engine that spins them.
    ratios("ratio_infer_cpu_cnnb_over_onnxruntime", "infer_img_per_cpu_s", lambda r: r["onnx"]["infer_img_per_cpu_s"])
    for backend in timed_backends:
        ratios("ratio_train_cpu_cnnb_over_keras_%s" % backend, "train_img_per_cpu_s",
               lambda r, b=backend: r["keras"][b]["train_img_per_cpu_s"])
    emit("load_average_end", "%.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
