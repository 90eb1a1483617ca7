import ArgumentParser
import Basics
import Foundation
import Kernel
import Language

/// `cnnb kernel -f FILE` runs the Jupyter kernel; `cnnb kernel install` / `uninstall` manage
/// the kernelspec Jupyter starts it from.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run cnnb as a Jupyter kernel (Jupyter starts it), or install it for Jupyter.",
        subcommands: [KernelInstall.self, KernelUninstall.self])

    @Option(name: .short, help: ArgumentHelp("The connection file Jupyter wrote for this kernel.", valueName: "connection-file")) var f: String?
    @Option(help: "Folder for figures and the files cells save (default: cnnb-out, beside the notebook).") var out: String = "cnnb-out"
    // --data and --allow-write DIR (which `kernel install --allow-write` writes into kernel.json).
    @OptionGroup var sessionOptions: SessionOptions

    func run() throws {
        guard let f else {
            throw ValidationError("cnnb kernel needs -f CONNECTION_FILE (Jupyter passes it); to make Jupyter know cnnb: cnnb kernel install --user")
        }
        do {
            let info = try ConnectionInfo.read(f)
            let kernel = try JupyterKernel(info: info, session: sessionOptions.makeSession(outputDirectory: out))
            kernel.run()
        } catch let error as KernelError {
            FileHandle.standardError.write(Data(("cnnb kernel: error: \(error.message)\n" + (error.hint.map { "hint: \($0)\n" } ?? "")).utf8))
            throw ExitCode(1)
        }
    }
}

/// Where a kernelspec goes: `--user`, `--prefix DIR`, or the user's folder when neither is given.
struct KernelLocation: ParsableArguments {
    @Flag(help: "Install for this user (~/.local/share/jupyter/kernels; the default).") var user = false
    @Option(help: "Install under DIR/share/jupyter/kernels (a virtual environment's prefix, say).") var prefix: String?
    @Option(help: "The kernel's name in Jupyter.") var name: String = KernelSpec.defaultName

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give --user or --prefix DIR, not both") }
    }

    var kernelsFolder: String { prefix.map(KernelSpec.prefixKernelsFolder) ?? KernelSpec.userKernelsFolder() }
}

struct KernelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Write the kernelspec Jupyter starts cnnb from.")
    @OptionGroup var location: KernelLocation
    @Option(name: .customLong("allow-write"), help: ArgumentHelp("Let the kernel's cells write files in this folder too (repeatable); by default they write only in cnnb-out beside the notebook.", valueName: "dir"))
    var allowWrite: [String] = []
    /// `cnnb kernel` takes --allow-write too, and the parser gives it the folders written after `install`.
    @ParentCommand var kernel: KernelCommand

    func run() throws {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().path else {
            throw ValidationError("cannot tell where this cnnb executable is")
        }
        // Jupyter starts the kernel in the notebook's folder: the folders are written absolute.
        let folders = try (kernel.sessionOptions.allowWrite + allowWrite).map { folder in
            do { return try Session.writeFolder(folder) } catch { throw ValidationError("\(error)") }
        }
        do {
            let folder = try KernelSpec.install(in: location.kernelsFolder, name: location.name, executable: executable,
                                                allowWrite: folders)
            print("installed the \(location.name) kernel in \(folder)")
        } catch let error as KernelError {
            throw ValidationError(error.message)
        }
    }
}

struct KernelUninstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove the kernelspec.")
    @OptionGroup var location: KernelLocation

    func run() throws {
        do {
            let folder = (location.kernelsFolder as NSString).appendingPathComponent(location.name)
            if try KernelSpec.uninstall(in: location.kernelsFolder, name: location.name) {
                print("removed \(folder)")
            } else {
                print("no \(location.name) kernel in \(location.kernelsFolder)")
            }
        } catch let error as KernelError {
            throw ValidationError(error.message)
        }
    }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a .cnnb notebook into a Jupyter .ipynb, or back (the kinds are told by the extensions).")
    @Argument(help: "The file to read.") var from: String
    @Argument(help: "The file to write.") var to: String

    func run() throws {
        do {
            let count = try NotebookConversion.convert(from, to: to)
            print("\(from) → \(to): \(count) cells")
        } catch let error as any ExplainedError {
            throw ValidationError(error.description)
        }
    }
}
