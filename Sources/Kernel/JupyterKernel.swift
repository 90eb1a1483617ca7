import CZMQ
import Foundation
import Language
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `cnnb kernel -f CONNECTION_FILE`: a Jupyter kernel (messaging protocol 5.3) over ZeroMQ.
/// Cells run on the main thread against one `Session`, as in the REPL and `cnnb run`; the
/// control socket (interrupts, shutdown) and the heartbeat are served on threads of their own,
/// so they answer while a cell trains.
public final class JupyterKernel {
    public static let protocolVersion = "5.3"

    let info: ConnectionInfo
    let signer: Signer
    let session: Session
    private let context: UnsafeMutableRawPointer
    private let shell: ZMQSocket
    private let control: ZMQSocket
    private let iopub: ZMQSocket
    private let stdin: ZMQSocket
    private let heartbeat: ZMQSocket
    private let iopubLock = NSLock()
    private let kernelSession = UUID().uuidString.lowercased()

    private var executionCount = 0
    /// The cells run with store_history, for `history_request`.
    private var history: [(count: Int, code: String)] = []
    /// Set when an interrupt stopped the current cell's training, evaluation or prediction.
    private var stopped = false
    private let stateLock = NSLock()
    private var shutdownAsked = false
    private var training: NotebookTraining!
    private var download: NotebookDownload!
    private let controlDone = DispatchSemaphore(value: 0)

    /// Binds every socket; a port in use or a bad address throws before anything is served.
    public init(info: ConnectionInfo, session: Session) throws {
        self.info = info
        signer = Signer(key: Array(info.key.utf8))
        self.session = session
        guard let context = zmq_ctx_new() else { throw KernelError.zmq("cannot start ZeroMQ", ZMQSocket.lastError) }
        self.context = context
        shell = try ZMQSocket(context: context, type: ZMQ_ROUTER, role: "shell")
        control = try ZMQSocket(context: context, type: ZMQ_ROUTER, role: "control")
        iopub = try ZMQSocket(context: context, type: ZMQ_PUB, role: "iopub")
        stdin = try ZMQSocket(context: context, type: ZMQ_ROUTER, role: "stdin")
        heartbeat = try ZMQSocket(context: context, type: ZMQ_REP, role: "heartbeat")
        do {
            try shell.bind(info.endpoint(info.shellPort))
            try control.bind(info.endpoint(info.controlPort))
            try iopub.bind(info.endpoint(info.iopubPort))
            try stdin.bind(info.endpoint(info.stdinPort))
            try heartbeat.bind(info.endpoint(info.hbPort))
        } catch {
            for socket in [shell, control, iopub, stdin, heartbeat] { socket.close() }
            zmq_ctx_term(context)
            throw error
        }
        training = NotebookTraining { [unowned self] type, content in
            self.publish(type, content: content, parent: self.currentParent)
        }
        session.trainingObserver = training
        download = NotebookDownload { [unowned self] type, content in
            self.publish(type, content: content, parent: self.currentParent)
        }
        session.dataOptions.progress = download.callback
        session.shouldStop = { [unowned self] in
            guard Interrupt.take() else { return false }
            self.stopped = true
            return true
        }
    }

    /// The header of the request being handled, the parent of what iopub says meanwhile.
    private var currentParent: [String: Any] = [:]

    /// Serves until a shutdown request. SIGINT (Jupyter's signal interrupt) stops a running
    /// training between batches, as `interrupt_request` on the control socket does.
    public func run() {
        Interrupt.install()
        ParentWatch.start { parent in
            JupyterKernel.log("the process that started this kernel (JPY_PARENT_PID=\(parent)) has exited; shutting down")
            _exit(1)
        }
        Thread.detachNewThread { [unowned self] in self.serveHeartbeat() }
        Thread.detachNewThread { [unowned self] in self.serveControl() }
        publish("status", content: ["execution_state": "starting"], parent: [:])
        while !isShuttingDown {
            for index in ZMQSocket.poll([shell, stdin], milliseconds: 100) {
                guard let frames = (index == 0 ? shell : stdin).receive() else { continue }
                // Input requests are never sent, so the stdin socket has nothing to answer.
                if index == 0 { handleShell(frames) }
            }
        }
        controlDone.wait()
        // Let pending replies leave, then close: blocked heartbeat reads return once the context shuts down.
        for socket in [shell, iopub, stdin] { socket.close() }
        zmq_ctx_shutdown(context)
        zmq_ctx_term(context)
    }

    private var isShuttingDown: Bool {
        stateLock.lock(); defer { stateLock.unlock() }
        return shutdownAsked
    }

    private func askShutdown() {
        stateLock.lock(); shutdownAsked = true; stateLock.unlock()
        Interrupt.request()
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data(("cnnb kernel: " + text + "\n").utf8))
    }

    // MARK: - Sending

    private func header(_ type: String) -> [String: Any] {
        ["msg_id": UUID().uuidString.lowercased(), "session": kernelSession, "username": "cnnb",
         "date": JupyterKernel.timestamp(), "msg_type": type, "version": JupyterKernel.protocolVersion]
    }

    nonisolated(unsafe) private static let dateFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// ISO 8601 with milliseconds, as the protocol's header dates are.
    static func timestamp() -> String { dateFormatter.string(from: Date()) }

    func publish(_ type: String, content: [String: Any], parent: [String: Any]) {
        let message = Message(identities: [Array(type.utf8)], header: header(type), parentHeader: parent, content: content)
        iopubLock.lock()
        iopub.send(message.frames(signer: signer))
        iopubLock.unlock()
    }

    private func reply(_ request: Message, on socket: ZMQSocket, content: [String: Any]) {
        let type = request.type.replacingOccurrences(of: "_request", with: "_reply")
        let message = Message(identities: request.identities, header: header(type), parentHeader: request.header, content: content)
        socket.send(message.frames(signer: signer))
    }

    private func read(_ frames: [[UInt8]], on socket: String) -> Message? {
        do {
            return try Message(frames: frames, signer: signer)
        } catch {
            JupyterKernel.log("dropped a message on the \(socket) socket: \(error)")
            return nil
        }
    }

    // MARK: - Heartbeat and control

    private func serveHeartbeat() {
        while let frames = heartbeat.receive() {
            heartbeat.send(frames)
        }
        heartbeat.close()
    }

    private func serveControl() {
        defer {
            control.close()
            controlDone.signal()
        }
        while !isShuttingDown {
            for _ in ZMQSocket.poll([control], milliseconds: 100) {
                guard let frames = control.receive(), let request = read(frames, on: "control") else { continue }
                publish("status", content: ["execution_state": "busy"], parent: request.header)
                switch request.type {
                case "interrupt_request":
                    Interrupt.request()
                    reply(request, on: control, content: ["status": "ok"])
                case "shutdown_request":
                    let restart = request.content["restart"] as? Bool ?? false
                    reply(request, on: control, content: ["status": "ok", "restart": restart])
                    askShutdown()
                case "kernel_info_request":
                    reply(request, on: control, content: kernelInfo)
                default:
                    JupyterKernel.log("no answer to \(request.type) on the control socket")
                }
                publish("status", content: ["execution_state": "idle"], parent: request.header)
            }
        }
    }

    // MARK: - Shell

    private func handleShell(_ frames: [[UInt8]]) {
        guard let request = read(frames, on: "shell") else { return }
        currentParent = request.header
        publish("status", content: ["execution_state": "busy"], parent: request.header)
        defer { publish("status", content: ["execution_state": "idle"], parent: request.header) }
        if let problem = request.contentProblem {
            JupyterKernel.log("\(request.type) \(request.id): \(problem)")
            reply(request, on: shell, content: ["status": "error", "ename": "Error", "evalue": problem, "traceback": [problem],
                                                "execution_count": executionCount])
            return
        }
        switch request.type {
        case "kernel_info_request": reply(request, on: shell, content: kernelInfo)
        case "execute_request": execute(request)
        case "complete_request": complete(request)
        case "inspect_request": inspect(request)
        case "is_complete_request": isComplete(request)
        case "history_request": historyReply(request)
        case "comm_info_request": reply(request, on: shell, content: ["status": "ok", "comms": [:] as [String: Any]])
        case "shutdown_request":
            reply(request, on: shell, content: ["status": "ok", "restart": request.content["restart"] as? Bool ?? false])
            askShutdown()
        case "comm_open", "comm_msg", "comm_close":
            break  // no comms: widgets are not part of cnnb
        default:
            JupyterKernel.log("no answer to \(request.type) on the shell socket")
        }
    }

    var kernelInfo: [String: Any] {
        [
            "status": "ok",
            "protocol_version": JupyterKernel.protocolVersion,
            "implementation": "cnnb",
            "implementation_version": CNNBVersion.string,
            "language_info": KernelSpec.languageInfo,
            "banner": "cnnb \(CNNBVersion.string): a notebook language for building, training and looking inside convolutional networks",
            "help_links": KernelSpec.helpLinks.map { ["text": $0.text, "url": $0.url] },
        ]
    }

    private func execute(_ request: Message) {
        let code = request.content["code"] as? String ?? ""
        let silent = request.content["silent"] as? Bool ?? false
        let storeHistory = !silent && (request.content["store_history"] as? Bool ?? true)
        let stopOnError = request.content["stop_on_error"] as? Bool ?? true
        if storeHistory { executionCount += 1 }
        let count = executionCount
        if !silent { publish("execute_input", content: ["code": code, "execution_count": count], parent: request.header) }
        Interrupt.clear()
        stopped = false
        training.reset()
        download.reset()
        // The last text of a cell is its result (Out[N]); text before it is printed output.
        var pendingText: String?
        func flushText(asResult: Bool) {
            guard let text = pendingText else { return }
            pendingText = nil
            if asResult {
                if !silent {
                    publish("execute_result", content: ["execution_count": count, "data": ["text/plain": text],
                                                        "metadata": [:] as [String: Any]], parent: request.header)
                }
            } else {
                publish("stream", content: ["name": "stdout", "text": text + "\n"], parent: request.header)
            }
        }
        // `:help WORD` and `:vars` work in a cell as at the REPL's prompt.
        if let unknown = unknownCommand(code, count: count) {
            let bundle = RichOutput.error(unknown, source: code)
            publish("error", content: bundle, parent: request.header)
            if storeHistory { history.append((count, code)) }
            reply(request, on: shell, content: bundle.merging(["status": "error", "execution_count": count]) { $1 })
            if stopOnError { abortQueued() }
            return
        }
        if let text = command(code) {
            if !silent {
                publish("execute_result", content: ["execution_count": count, "data": ["text/plain": text],
                                                    "metadata": [:] as [String: Any]], parent: request.header)
            }
            if storeHistory { history.append((count, code)) }
            reply(request, on: shell, content: ["status": "ok", "execution_count": count,
                                                "user_expressions": [:] as [String: Any], "payload": [] as [Any]])
            return
        }
        let run = session.runCell(code, file: "In[\(count)]", onOutput: { output in
            switch output {
            case .text(let text):
                flushText(asResult: false)
                pendingText = text
            case .table(let text, let html):
                flushText(asResult: false)
                self.publish("display_data", content: ["data": ["text/plain": text, "text/html": html],
                                                       "metadata": [:] as [String: Any]], parent: request.header)
            case .figure(let figure, let path):
                flushText(asResult: false)
                let (data, metadata) = RichOutput.figure(figure, path: path)
                self.publish("display_data", content: ["data": data, "metadata": metadata], parent: request.header)
            case .progress:
                flushText(asResult: false)  // already shown live by `training`
            }
        }, interrupted: { self.stopped })
        flushText(asResult: run.error == nil && !run.interrupted)
        if storeHistory { history.append((count, code)) }

        var content: [String: Any] = ["execution_count": count]
        if stopped {
            // As ipykernel does for Ctrl-C: an error reply, so "Run All" stops here. A training
            // keeps what it learnt; an evaluation or prediction stopped part way gives nothing.
            let what = run.error?.message ?? "training was interrupted; the session and the weights learnt so far are kept"
            let bundle: [String: Any] = ["ename": "KeyboardInterrupt", "evalue": what,
                                         "traceback": ["\u{1B}[0;31mKeyboardInterrupt\u{1B}[0m: " + what]]
            publish("error", content: bundle, parent: request.header)
            content.merge(bundle) { $1 }
            content["status"] = "error"
        } else if let error = run.error {
            let bundle = RichOutput.error(error, source: code)
            publish("error", content: bundle, parent: request.header)
            content.merge(bundle) { $1 }
            content["status"] = "error"
        } else {
            content["status"] = "ok"
            content["user_expressions"] = [:] as [String: Any]
            content["payload"] = [] as [Any]
        }
        reply(request, on: shell, content: content)
        if content["status"] as? String == "error" && stopOnError { abortQueued() }
    }

    /// The text of a `:help` or `:vars` cell, or nil when the cell is not one.
    private func command(_ code: String) -> String? {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(":"), !trimmed.contains("\n") else { return nil }
        let parts = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ":help", ":h": return Help.text(topic: argument)
        case ":vars": return session.variablesText
        default: return nil  // the parser explains what a cell cannot start with
        }
    }

    /// A cell that is a REPL command the kernel does not take (`:load`, `:save`, `:quit` …): said
    /// so at the command, rather than as a character the parser does not know.
    private func unknownCommand(_ code: String, count: Int) -> Diagnostic? {
        let leading = code.prefix { $0 == " " || $0 == "\t" || $0 == "\n" }
        let rest = code.dropFirst(leading.count)
        guard rest.hasPrefix(":"), command(code) == nil else { return nil }
        let word = rest.prefix { !$0.isWhitespace }
        let line = 1 + leading.filter { $0 == "\n" }.count
        let column = 1 + (leading.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0)
        let span = SourceSpan(file: "In[\(count)]", line: line, column: column, offset: leading.utf8.count, length: word.utf8.count)
        return .error("\(word) is not a command in a notebook cell", at: span,
                      hint: "a cell takes :help WORD and :vars; files and the session are the notebook's (restart the kernel for a fresh session)")
    }

    /// After a failed cell with stop_on_error, the execute requests already waiting are
    /// answered `aborted` without running, as ipykernel does; other requests are served.
    private func abortQueued() {
        // Everything already waiting is taken first: a request sent after seeing an `aborted`
        // reply is a new one and runs.
        var waiting: [[[UInt8]]] = []
        while !ZMQSocket.poll([shell], milliseconds: 0).isEmpty, let frames = shell.receive() { waiting.append(frames) }
        for frames in waiting {
            guard let request = read(frames, on: "shell") else { continue }
            guard request.type == "execute_request" else {
                handleShell(frames)
                continue
            }
            publish("status", content: ["execution_state": "busy"], parent: request.header)
            reply(request, on: shell, content: ["status": "aborted", "execution_count": executionCount])
            publish("status", content: ["execution_state": "idle"], parent: request.header)
        }
    }

    private func complete(_ request: Message) {
        let code = request.content["code"] as? String ?? ""
        let cursor = request.content["cursor_pos"] as? Int ?? code.unicodeScalars.count
        let (matches, start, end) = Completion.complete(code, cursor: cursor, session: session)
        reply(request, on: shell, content: ["status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end,
                                            "metadata": [:] as [String: Any]])
    }

    private func inspect(_ request: Message) {
        let code = request.content["code"] as? String ?? ""
        let cursor = request.content["cursor_pos"] as? Int ?? code.unicodeScalars.count
        if let found = Inspection.text(in: code, cursor: cursor, session: session) {
            reply(request, on: shell, content: ["status": "ok", "found": true, "data": ["text/plain": found.text],
                                                "metadata": [:] as [String: Any]])
        } else {
            reply(request, on: shell, content: ["status": "ok", "found": false, "data": [:] as [String: Any],
                                                "metadata": [:] as [String: Any]])
        }
    }

    private func isComplete(_ request: Message) {
        let code = request.content["code"] as? String ?? ""
        if command(code) != nil {
            reply(request, on: shell, content: ["status": "complete"])
            return
        }
        if needsMoreInput(code) {
            // Inside an open block the next line is indented as a model's layers are.
            let indent = code.filter { $0 == "{" }.count > code.filter { $0 == "}" }.count ? "    " : ""
            reply(request, on: shell, content: ["status": "incomplete", "indent": indent])
            return
        }
        let (_, diagnostics) = Parser.parseStatements(code, file: "<cell>")
        let valid = !diagnostics.contains { $0.severity == .error }
        reply(request, on: shell, content: ["status": valid ? "complete" : "invalid"])
    }

    private func historyReply(_ request: Message) {
        var entries = history
        if request.content["hist_access_type"] as? String == "tail", let n = request.content["n"] as? Int {
            entries = Array(entries.suffix(max(n, 0)))
        }
        // Session 0 is this kernel's run, as ipykernel numbers the current session.
        reply(request, on: shell, content: ["status": "ok", "history": entries.map { [0, $0.count, $0.code] as [Any] }])
    }
}
