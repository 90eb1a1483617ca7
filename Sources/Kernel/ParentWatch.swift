import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// As ipykernel's parent poller: a kernel Jupyter started (it sets `JPY_PARENT_PID` to its own
/// process id) exits once that process has gone, rather than living on with nobody to serve it.
/// Started some other way (no `JPY_PARENT_PID`, or a parent that is init), it is not watched.
enum ParentWatch {
    /// What to watch for, decided once at start: the parent's id while it is the one that
    /// started the kernel, else only becoming a child of init (the parent was a wrapper).
    struct Watch: Equatable {
        /// `JPY_PARENT_PID`.
        var named: pid_t
        var parent: pid_t?

        init?(environment: [String: String], parent: pid_t) {
            guard let named = environment["JPY_PARENT_PID"].flatMap({ pid_t($0) }), named != 1 else { return nil }
            self.named = named
            self.parent = named == parent ? named : nil
        }

        /// True once the process that started the kernel has gone, given the parent now.
        func parentGone(_ current: pid_t) -> Bool {
            if let parent { return current != parent }
            return current == 1
        }
    }

    /// Checks every `interval` seconds on a thread of its own; calls `gone` with
    /// `JPY_PARENT_PID` (it ends the process) once the parent has exited.
    static func start(environment: [String: String] = ProcessInfo.processInfo.environment,
                      interval: TimeInterval = 1, gone: @escaping @Sendable (pid_t) -> Void) {
        guard let watch = Watch(environment: environment, parent: getppid()) else { return }
        Thread.detachNewThread {
            while true {
                let current = getppid()
                if watch.parentGone(current) { gone(watch.named) }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }
}
