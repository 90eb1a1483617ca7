@testable import Datasets
import Foundation
import XCTest

/// `load csv`'s reader: rows of numbers with a label, as CSV files and the UCR time-series
/// archive's tab-separated files hold them.
final class NumberTableTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnnb-table-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
        super.tearDown()
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ path: String, _ configure: (inout NumberTableOptions) -> Void = { _ in }) throws -> NumberTable {
        var options = NumberTableOptions()
        options.separator = NumberTableOptions.separator(forPath: path)
        configure(&options)
        return try NumberTable.read(path, options: options)
    }

    /// UCR's layout: tabs, the label first (here -1/1, written as the 2015 archive writes
    /// numbers), no header; the labels become classes 0 and 1 and `.classes` keeps them.
    func testUCRFilesNumberTheirLabelsFromZero() throws {
        let train = try read(write("Toy_TRAIN.tsv", "1\t0.5\t-1.25\t3\n-1\t2\t1e-3\t-0\r\n\n1.0000000e+00\t7\t8\t9\n"))
        let test = try read(write("Toy_TEST.tsv", "-1\t1\t2\t3\n"))
        XCTAssertEqual(train.width, 3)
        XCTAssertEqual(train.values, [0.5, -1.25, 3, 2, 0.001, 0, 7, 8, 9])
        let (dataset, numbering) = try NumberTable.dataset(train: train, test: test)
        XCTAssertEqual(dataset.name, "Toy_TRAIN")
        XCTAssertTrue(numbering.renumbered)
        XCTAssertEqual(dataset.classNames, ["-1", "1"])
        XCTAssertEqual(dataset.train.labels, [1, 0, 1])
        XCTAssertEqual(dataset.test.labels, [0])
        XCTAssertEqual(dataset.train.shape, [3, 3])
        XCTAssertEqual(dataset.test.shape, [1, 3])
        XCTAssertFalse(dataset.train.holdsBytes)
        XCTAssertEqual(dataset.train.tensor().scalars, [0.5, -1.25, 3, 2, 0.001, 0, 7, 8, 9])
        // Arithmetic is float32 on each stored number; a view and a selection keep it.
        let scaled = dataset.train.applying(.multiply(2)).applying(.add(1))
        XCTAssertEqual(scaled.values(at: 1), [5, 1.002, 1])
        XCTAssertEqual(try scaled.slice(2..<3).values(at: 0), [15, 17, 19])
        XCTAssertEqual(scaled.selecting([2, 0]).tensor().scalars, [15, 17, 19, 2, -1.5, 7])
        XCTAssertEqual(scaled.selecting([2, 0]).labels, [1, 1])
        // Reshaping is a view: (3,) items as (3, 1).
        let signal = dataset.train.reshaped([3, 1])
        XCTAssertEqual(signal.shape, [3, 3, 1])
        XCTAssertEqual(signal.image(at: 2).shape, [3, 1])
        XCTAssertEqual(signal.image(at: 2).scalars, [7, 8, 9])
    }

    /// Labels 1…k (UCR's usual ones) become 0…k-1; labels from 0 stay as written; words are
    /// classes in sorted order; a header names the columns and the label column is picked by
    /// name or position (negative from the end).
    func testLabelsAsWrittenNumberedOrNamed() throws {
        let ucr = try read(write("a.tsv", "3\t1\n1\t2\n2\t3\n"))
        let (d1, n1) = try NumberTable.dataset(train: ucr, test: nil)
        XCTAssertEqual(d1.train.labels, [2, 0, 1])
        XCTAssertEqual(n1.classNames, ["1", "2", "3"])
        XCTAssertEqual(d1.test.count, 0)

        let kept = try read(write("b.csv", "0,1.5\n3,2.5\n"))
        let (d2, n2) = try NumberTable.dataset(train: kept, test: nil)
        XCTAssertFalse(n2.renumbered)
        XCTAssertEqual(d2.train.labels, [0, 3])
        XCTAssertEqual(n2.classNames, ["0", "1", "2", "3"])

        let iris = try read(write("iris.csv", "sepal,petal,\"species\"\n5.1,1.4,\"setosa\"\n7.0,4.7,versicolor\n6.3,6.0,setosa\n")) {
            $0.header = true
            $0.label = .name("species")
        }
        XCTAssertEqual(iris.columnNames, ["sepal", "petal", "species"])
        let (d3, n3) = try NumberTable.dataset(train: iris, test: nil)
        XCTAssertEqual(n3.classNames, ["setosa", "versicolor"])
        XCTAssertEqual(d3.train.labels, [0, 1, 0])
        XCTAssertEqual(d3.train.tensor().scalars, [5.1, 1.4, 7.0, 4.7, 6.3, 6.0])

        let last = try read(write("c.csv", "1,2,0\n3,4,1\n")) { $0.label = .index(-1) }
        XCTAssertEqual(last.values, [1, 2, 3, 4])
        XCTAssertEqual(try NumberTable.dataset(train: last, test: nil).0.train.labels, [0, 1])

        let spaced = try read(write("old.txt", "  1  0.25   0.5\n 2 1 2\n"))
        XCTAssertEqual(spaced.values, [0.25, 0.5, 1, 2])
    }

    /// Every problem names the file and the line and column (from 1) where it is.
    func testProblemsNameTheFileLineAndColumn() throws {
        func problem(_ name: String, _ text: String, _ configure: (inout NumberTableOptions) -> Void = { _ in }) throws -> (String, String?) {
            do {
                let table = try read(write(name, text), configure)
                _ = try NumberTable.dataset(train: table, test: nil)
                XCTFail("no error for \(name)")
                return ("", nil)
            } catch let error as DataError {
                return (error.message, error.hint)
            } catch let error as LabelColumnError {
                return (error.problem.message, error.problem.hint)
            }
        }
        XCTAssertEqual(try problem("ragged.tsv", "1\t2\t3\n1\t2\t3\n2\t5\n").0, "line 3 of ragged.tsv has 2 values, the lines before it 3")
        XCTAssertEqual(try problem("word.csv", "1,2,3\n1,2,x7\n").0, "line 2, column 3 of word.csv is 'x7', not a number")
        let header = try problem("head.csv", "label,a,b\n1,2,3\n")
        XCTAssertEqual(header.0, "line 1, column 2 of head.csv is 'a', not a number")
        XCTAssertEqual(header.1, "if the first line names the columns, add header: load csv \"head.csv\" header")
        XCTAssertEqual(try problem("gap.csv", "1,2,3\n1,,3\n").0, "line 2, column 2 of gap.csv is empty")
        XCTAssertEqual(try problem("half.csv", "1,2\n0.5,3\n").0, "line 2, column 1 of half.csv holds the label 0.5, which is not a whole number")
        XCTAssertEqual(try problem("one.csv", "1\n2\n").0, "line 1 of one.csv has 1 value; a row needs a label and at least one value")
        XCTAssertEqual(try problem("empty.csv", "\n\n").0, "empty.csv has no rows of numbers")
        XCTAssertEqual(try problem("cols.csv", "1,2\n") { $0.label = .index(2) }.0, "cols.csv has 2 columns, so there is no column 2")
        XCTAssertEqual(try problem("named.csv", "a,b\n1,2\n") { $0.header = true; $0.label = .name("c") }.1, "its columns: a, b")
        XCTAssertThrowsError(try read(folder + "/nowhere.csv")) { error in
            XCTAssertEqual((error as? DataError)?.message, "there is no file \(folder)/nowhere.csv")
        }
        XCTAssertThrowsError(try read(folder)) { error in
            XCTAssertEqual((error as? DataError)?.message, "\(folder) is a folder, not a file of numbers")
        }
        let train = try read(write("w3.csv", "1,2,3\n"))
        let test = try read(write("w2.csv", "1,2\n"))
        XCTAssertThrowsError(try NumberTable.dataset(train: train, test: test)) { error in
            XCTAssertEqual((error as? DataError)?.message, "w2.csv has 1 value per row, w3.csv 2")
        }
    }
}
