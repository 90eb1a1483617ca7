import Foundation

/// Ctrl-C (SIGINT): at the REPL's prompt it clears the line; during a long statement (training) it asks the
/// statement to stop at its next safe point. The handler only sets a flag (async-signal-safe).
public enum Interrupt {
    nonisolated(unsafe) private static var pending: sig_atomic_t = 0

    /// Installs the SIGINT handler, without SA_RESTART so a blocked read returns to readline.
    public static func install() {
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_handler = { _ in Interrupt.pending = 1 }
        #else
        action.__sigaction_u.__sa_handler = { _ in Interrupt.pending = 1 }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// True once per Ctrl-C: for long-running statements polling between steps.
    public static func take() -> Bool {
        guard pending != 0 else { return false }
        pending = 0
        return true
    }

    public static func takeAtPrompt() -> Bool { take() }

    /// Asks the running statement to stop as Ctrl-C does: the Jupyter kernel's
    /// `interrupt_request`, which arrives as a message rather than a signal.
    public static func request() { pending = 1 }

    /// Forgets a Ctrl-C pressed before a statement started.
    public static func clear() { pending = 0 }
}
