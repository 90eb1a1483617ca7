import ArgumentParser
import Foundation
import Language

@main
struct CNNB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnnb",
        abstract: "A notebook language for building, training and looking inside convolutional networks.",
        discussion: "With no subcommand, cnnb opens an interactive session.",
        version: CNNBVersion.string,
        subcommands: [Run.self, Check.self, Repl.self],
        defaultSubcommand: Repl.self)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the cells of a .cnnb notebook and write its report.")
    @Argument(help: "The .cnnb file to run.") var file: String
    @Option(help: "Folder for the report and figures.") var out: String?
    @Flag(help: "Go on after a failing cell.") var keepGoing = false

    func run() throws {
        throw NotYetAvailable(feature: "cnnb run")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse a .cnnb notebook and check its shapes without training.")
    @Argument(help: "The .cnnb file to check.") var file: String

    func run() throws {
        throw NotYetAvailable(feature: "cnnb check")
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repl", abstract: "Open an interactive session (the default).")

    func run() throws {
        throw NotYetAvailable(feature: "the interactive session")
    }
}

struct NotYetAvailable: Error, CustomStringConvertible {
    let feature: String
    var description: String { "\(feature) is not available in this build of cnnb yet." }
}
