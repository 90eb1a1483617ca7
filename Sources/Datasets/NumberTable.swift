import Foundation

/// How `load csv` reads a file of numbers: which column holds the labels, whether the first
/// line names the columns, and what separates the values.
public struct NumberTableOptions: Sendable {
    /// A column by position (from 0, negative from the end, as pandas' `iloc`) or by the name
    /// the header gives it.
    public enum Column: Sendable, Equatable {
        case index(Int)
        case name(String)
    }

    public enum Separator: Sendable {
        /// `,` (`.csv`).
        case comma
        /// A tab (`.tsv`, the UCR time-series archive).
        case tab
        /// Runs of spaces or tabs (`.txt`, the UCR archive's older files).
        case whitespace
    }

    /// The UCR archive's layout: the label first.
    public var label = Column.index(0)
    public var header = false
    public var separator = Separator.comma

    public init() {}

    /// The separator a file's extension implies: tabs for `.tsv`, spaces for `.txt`, else commas.
    public static func separator(forPath path: String) -> Separator {
        switch (path as NSString).pathExtension.lowercased() {
        case "tsv": return .tab
        case "txt": return .whitespace
        default: return .comma
        }
    }
}

/// A problem with the `label` option rather than the file (no such column): the language
/// points at the option, not at the file name.
public struct LabelColumnError: Error {
    public let problem: DataError
}

/// One file of numbers read whole: every row's values (the label column taken out) and its
/// label as written.
public struct NumberTable: Sendable {
    public let path: String
    public let columnNames: [String]?
    /// Values per row, without the label.
    public let width: Int
    /// Row-major, `rows.count * width` values.
    public let values: [Float]
    /// Each row's label as written, with its line and column (from 1) for messages.
    public let labels: [(text: String, line: Int, column: Int)]

    public var rowCount: Int { labels.count }

    /// Reads `path`: one row per line (blank lines skipped), every row as long as the first.
    public static func read(_ path: String, options: NumberTableOptions) throws -> NumberTable {
        let name = (path as NSString).lastPathComponent
        if FileIO.isDirectory(path) {
            throw DataError("\(path) is a folder, not a file of numbers", hint: "name a .csv or .tsv file inside it")
        }
        guard FileIO.isFile(path) else {
            throw DataError("there is no file \(path)",
                            hint: "a relative path is read from the folder cnnb runs in (\(FileManager.default.currentDirectoryPath))")
        }
        let text = try FileIO.readText(path)
        var columnNames: [String]?
        var width: Int?
        var labelColumn = 0
        var values: [Float] = []
        var labels: [(text: String, line: Int, column: Int)] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift: Windows line ends split lines too.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            let fields = split(line, options.separator)
            if let expected = width.map({ $0 + 1 }), fields.count != expected {
                throw DataError("line \(lineNumber) of \(name) has \(fields.count) values, the lines before it \(expected)",
                                hint: "every line needs the same number of values, separated by "
                                    + (options.separator == .comma ? "commas" : options.separator == .tab ? "tabs" : "spaces"))
            }
            if width == nil {
                guard fields.count >= 2 else {
                    throw DataError("line \(lineNumber) of \(name) has \(fields.count) value; a row needs a label and at least one value",
                                    hint: options.separator == .comma ? "a .tsv file is read with tabs between values; name it .tsv"
                                                                      : "separate the values with " + (options.separator == .tab ? "tabs" : "spaces"))
                }
                width = fields.count - 1
                if options.header { columnNames = fields.map(unquoted) }
                labelColumn = try column(options.label, of: columnNames, count: fields.count, file: name)
                if options.header { continue }
            }
            for (i, field) in fields.enumerated() {
                if i == labelColumn {
                    labels.append((unquoted(field), lineNumber, i + 1))
                    continue
                }
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                guard let x = Double(trimmed) else {
                    let shown = trimmed.isEmpty ? "empty" : "'\(trimmed.prefix(40))', not a number"
                    let hint = lineNumber == 1 && !options.header
                        ? "if the first line names the columns, add header: load csv \"\(name)\" header"
                        : "every value but the label must be a number; a missing value cannot be read"
                    throw DataError("line \(lineNumber), column \(i + 1) of \(name) is \(shown)", hint: hint)
                }
                values.append(Float(x))
            }
        }
        guard let width, !labels.isEmpty else {
            throw DataError("\(name) has no rows of numbers", hint: "a row is a label and its values on one line")
        }
        return NumberTable(path: path, columnNames: columnNames, width: width, values: values, labels: labels)
    }

    private static func split(_ line: Substring, _ separator: NumberTableOptions.Separator) -> [Substring] {
        switch separator {
        case .comma: return line.split(separator: ",", omittingEmptySubsequences: false)
        case .tab: return line.split(separator: "\t", omittingEmptySubsequences: false)
        case .whitespace: return line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        }
    }

    private static func unquoted(_ field: Substring) -> String {
        var text = field.trimmingCharacters(in: .whitespaces)
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    /// The label column's position among `count` columns.
    private static func column(_ column: NumberTableOptions.Column, of names: [String]?, count: Int, file: String) throws -> Int {
        switch column {
        case .index(let i):
            guard i >= -count && i < count else {
                throw LabelColumnError(problem: DataError("\(file) has \(count) columns, so there is no column \(i)",
                                                          hint: "columns count from 0 (the first) to \(count - 1); -1 is the last"))
            }
            return i < 0 ? i + count : i
        case .name(let name):
            guard let names else {
                throw LabelColumnError(problem: DataError("a column is named only when the first line names them",
                                                          hint: "add header, or give the column's position: label 0"))
            }
            guard let i = names.firstIndex(of: name) else {
                throw LabelColumnError(problem: DataError("\(file) has no column '\(name)'",
                                                          hint: "its columns: " + names.joined(separator: ", ")))
            }
            return i
        }
    }
}

/// How the labels as written became class indices.
public struct ClassNumbering: Sendable {
    /// Class index → the label as written (`.classes`).
    public let classNames: [String]
    /// True when the labels were numbered anew (UCR's -1/1 or 1…k), false when kept as written.
    public let renumbered: Bool
    let index: [String: Int32]

    /// Whole numbers from 0 are kept (`classNames` "0"…"max"); other whole numbers (-1/1, 1…k)
    /// are numbered 0…k-1 in increasing order; names (`setosa`) in sorted order, as image
    /// folders' classes. A label with a fraction is an error: labels are classes.
    public init(_ tables: [NumberTable]) throws {
        let all = tables.flatMap { table in table.labels.map { (table, $0) } }
        let numbers = all.map { Double($0.1.text) }
        if numbers.allSatisfy({ $0 != nil }) {
            if let bad = zip(all, numbers).first(where: { $1!.rounded() != $1! || abs($1!) >= 1e9 }) {
                let ((table, label), _) = bad
                throw DataError("line \(label.line), column \(label.column) of \((table.path as NSString).lastPathComponent) "
                                + "holds the label \(label.text), which is not a whole number",
                                hint: "labels name classes: whole numbers or words; pick the label column with label N")
            }
            let distinct = Set(numbers.map { Int($0!) }).sorted()
            if let low = distinct.first, let high = distinct.last, low == 0, high < 65536 {
                classNames = (0...high).map(String.init)
                renumbered = false
            } else {
                classNames = distinct.map(String.init)
                renumbered = true
            }
            var index: [String: Int32] = [:]
            for (label, number) in zip(all.map(\.1.text), numbers) {
                index[label] = Int32(renumbered ? distinct.firstIndex(of: Int(number!))! : Int(number!))
            }
            self.index = index
        } else {
            classNames = Set(all.map(\.1.text)).sorted()
            renumbered = true
            index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, Int32($0)) })
        }
    }

    /// The class index of each of `table`'s rows.
    public func labels(of table: NumberTable) -> [Int32] { table.labels.map { index[$0.text]! } }
}

extension NumberTable {
    public static let widthMismatchHint = "the test file must have the training file's columns"

    /// `load csv`: the training rows from `train`, the test rows from `test` (none when nil),
    /// labels numbered over both files together.
    public static func dataset(train: NumberTable, test: NumberTable?) throws -> (Dataset, ClassNumbering) {
        if let test, test.width != train.width {
            throw DataError("\((test.path as NSString).lastPathComponent) has \(test.width) value\(test.width == 1 ? "" : "s") per row, "
                            + "\((train.path as NSString).lastPathComponent) \(train.width)",
                            hint: widthMismatchHint)
        }
        let numbering = try ClassNumbering([train] + (test.map { [$0] } ?? []))
        func split(_ table: NumberTable?, _ name: String) -> DatasetSplit {
            let rows = table?.rowCount ?? 0
            return DatasetSplit(name: name, values: SharedBuffer(table?.values ?? []),
                                labels: SharedBuffer(table.map(numbering.labels(of:)) ?? []),
                                count: rows, itemShape: [train.width], classNames: numbering.classNames)
        }
        let name = ((train.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return (Dataset(name: name, train: split(train, "train"), test: split(test, "test"), source: train.path), numbering)
    }
}
