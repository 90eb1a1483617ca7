import Foundation
import XCTest

/// The one way tests run Python, for the peers cnnb is compared with (NumPy, onnxruntime, Keras,
/// nbformat, pexpect): the virtual environment `.ci/install` makes (`.venv` in the checkout)
/// when there is one, else python3 on the PATH.
public enum Python {
    public static let executable: String = {
        let venv = MissingTool.checkout.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : (MissingTool.onPath(["python3"]) ?? "python3")
    }()

    /// Runs `python3 ARGUMENTS` and waits; nil when python3 cannot be started.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           timeout: TimeInterval = 600) -> Process.Outcome? {
        var env = environment
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        // .ci/requirements.txt installs Keras 3 with JAX, not TensorFlow.
        if ProcessInfo.processInfo.environment["KERAS_BACKEND"] == nil { env["KERAS_BACKEND"] = "jax" }
        return try? Process.outcome(executable, arguments, environment: env, timeout: timeout)
    }

    /// Throws `MissingTool.error` unless python3 imports every one of `modules`. Tests never
    /// install packages: `bash .ci/install` does, from `.ci/requirements.txt`.
    public static func require(_ modules: [String]) throws {
        let check = ["-c", "import " + modules.joined(separator: ", ")]
        guard let result = run(check, timeout: 120) else {
            throw MissingTool.error("\(executable) does not start; bash .ci/install makes .venv")
        }
        if result.status != 0 {
            let reason = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
            throw MissingTool.error("\(executable) cannot import \(modules.joined(separator: ", ")) (\(reason)); "
                                    + "bash .ci/install installs .ci/requirements.txt into .venv")
        }
    }
}
