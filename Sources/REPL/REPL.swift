import CReadline

/// The GNU readline library cnnb's REPL is built on, as `rl_library_version` reports it.
public enum LineEditor {
    public static var readlineVersion: String { String(cString: rl_library_version) }
}
