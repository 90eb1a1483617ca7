import Basics
import Datasets
import Engine
import Foundation

/// Comparisons and the selections they make: `data.train[data.train.labels == 3]`,
/// `data.train[labels in [3, 5]]`, `onehot`, `relabel`.
extension Interpreter {
    /// `a == b`, `a < b`, …, `a in [..]`: numbers give 1 or 0 (true or false), labels and
    /// tensors a tensor of 1s and 0s, one per item, that selects items when used as an index.
    func comparison(_ op: BinaryOperator, _ a: Value, _ b: Value, expr: Expr) throws -> Value {
        let test: (Double) -> Bool
        switch (op, b) {
        case (.isIn, .list(let items)):
            var members: Set<Double> = []
            for item in items {
                guard case .number(let x) = item else {
                    throw Diagnostic.error("'in' needs a list of numbers, got \(item.kindName) in it", at: expr.span,
                                           hint: "for example labels in [3, 5]")
                }
                members.insert(x)
            }
            test = { members.contains($0) }
        case (.isIn, _):
            throw Diagnostic.error("'in' needs a list after it, got \(b.kindName)", at: expr.span, hint: "for example labels in [3, 5]")
        case (_, .number(let y)):
            switch op {
            case .equal: test = { $0 == y }
            case .notEqual: test = { $0 != y }
            case .less: test = { $0 < y }
            case .lessEqual: test = { $0 <= y }
            case .greater: test = { $0 > y }
            default: test = { $0 >= y }
            }
        default:
            throw Diagnostic.error("cannot compare \(a.kindName) \(op.rawValue) \(b.kindName)", at: expr.span,
                                   hint: "compare labels, a tensor or a number with a number: data.train.labels == 3")
        }
        switch a {
        case .number(let x): return .number(test(x) ? 1 : 0)
        case .labels(let split):
            return .tensor(Tensor(shape: [split.count], values: split.labels.map { test(Double($0)) ? 1 : 0 }))
        case .tensor(let t):
            return .tensor(Tensor(shape: t.shape, values: t.scalars.map { test(Double($0)) ? 1 : 0 }))
        default:
            throw Diagnostic.error("cannot compare \(a.kindName)", at: expr.span,
                                   hint: "compare labels, a tensor or a number: data.train.labels == 3")
        }
    }

    /// Values computed from a split's labels, one per image: whole numbers stay labels of the
    /// same images (usable as class indices), any other value makes a tensor.
    func labels(_ values: [Double], of split: DatasetSplit) -> Value {
        if values.allSatisfy({ $0.rounded() == $0 && abs($0) <= Double(Int32.max) }) {
            return .labels(split.withLabels(values.map { Int32($0) }))
        }
        return .tensor(Tensor(shape: [split.count], values: values.map { Float($0) }))
    }

    /// The items a selection index picks, or nil when `index` is an ordinary index or range.
    /// A selection is a comparison (`labels == 3`, where a bare `labels` names the split's) or
    /// a tensor of 1s and 0s, one per item.
    func selection(_ index: Expr, of split: DatasetSplit, outputs: inout [Output]) throws -> [Int]? {
        switch index.kind {
        case .binary(let op, _, _) where op.isComparison: break
        case .name(let n):
            guard case .tensor? = session[n] else { return nil }
        default: return nil
        }
        let saved = indexedSplit
        indexedSplit = split
        defer { indexedSplit = saved }
        let value = try require(index, outputs: &outputs)
        guard case .tensor(let mask) = value, mask.shape == [split.count] else {
            let got: String = { if case .tensor(let t) = value { return "a tensor of shape \(kerasTupleText(t.shape))" } else { return value.kindName } }()
            throw Diagnostic.error("a selection needs one true or false per item (\(split.count)), got \(got)", at: index.span,
                                   hint: "compare the split's own labels: data.train[labels == 3]")
        }
        return (0..<split.count).filter { mask[flat: $0] != 0 }
    }

    /// `onehot DATA [classes N]`: labels as one-hot rows (Keras's `to_categorical`). Labels give
    /// the tensor; a split or a dataset gives the same images whose targets are one-hot, for
    /// `categorical_crossentropy`.
    func onehotCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        var classes: Int?
        if let (value, expr) = try option(command, "classes", outputs: &outputs) {
            classes = try integer(value, at: expr.span, what: "the number of classes")
        }
        func encoded(_ split: DatasetSplit) throws -> DatasetSplit {
            let made = split.encodingLabels(as: .oneHot, classes: classes)
            if let top = split.labels.max(), Int(top) >= made.oneHotWidth {
                throw Diagnostic.error("label \(top) does not fit in \(made.oneHotWidth) classes", at: argument.span,
                                       hint: "give classes \(Int(top) + 1)")
            }
            return made
        }
        switch try require(argument, outputs: &outputs) {
        case .labels(let split):
            let made = try encoded(split)
            let width = made.oneHotWidth
            var values = [Float](repeating: 0, count: split.count * width)
            for (row, label) in split.labels.enumerated() { values[row * width + Int(label)] = 1 }
            return .tensor(Tensor(shape: [split.count, width], values: values))
        case .images(let split): return .images(try encoded(split))
        case .dataset(var d):
            d.train = try encoded(d.train)
            d.test = try encoded(d.test)
            return .dataset(d)
        case let other:
            throw Diagnostic.error("onehot needs labels, images with labels or a dataset, got \(other.kindName)", at: argument.span,
                                   hint: "for example data = onehot data, or onehot data.train.labels")
        }
    }

    /// `relabel DATA [3, 5]`: only the items of those classes, labelled 0, 1, … in that order.
    func relabelCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let argument = command.arguments[0]
        guard command.arguments.count == 2, case .list(let items) = try require(command.arguments[1], outputs: &outputs) else {
            throw Diagnostic.error("relabel needs the classes to keep, as a list", at: command.arguments.last?.span ?? command.span,
                                   hint: "for example relabel data [3, 5] (cats become 0, dogs 1)")
        }
        let listSpan = command.arguments[1].span
        var classes: [Int] = []
        for item in items {
            guard case .number(let x) = item, x.rounded() == x, x >= 0, x < 1e9 else {
                throw Diagnostic.error("classes are whole numbers, got \(item.brief)", at: listSpan, hint: "for example [3, 5]")
            }
            guard !classes.contains(Int(x)) else {
                throw Diagnostic.error("class \(Int(x)) is listed twice", at: listSpan, hint: "list each class once")
            }
            classes.append(Int(x))
        }
        guard classes.count >= 2 else {
            throw Diagnostic.error("relabel keeps at least two classes, got \(classes.count)", at: listSpan, hint: "for example [3, 5]")
        }
        switch try require(argument, outputs: &outputs) {
        case .images(let split): return .images(split.relabelled(keeping: classes))
        case .dataset(var d):
            d.train = d.train.relabelled(keeping: classes)
            d.test = d.test.relabelled(keeping: classes)
            return .dataset(d)
        case let other:
            throw Diagnostic.error("relabel needs images with labels or a dataset, got \(other.kindName)", at: argument.span,
                                   hint: "for example relabel data [3, 5]")
        }
    }

    /// `floor X`: the largest whole number not above X.
    func floorCommand(_ command: Command, outputs: inout [Output]) throws -> Value {
        let value = try require(command.arguments[0], outputs: &outputs)
        guard case .number(let x) = value else {
            throw Diagnostic.error("floor needs a number, got \(value.kindName)", at: command.arguments[0].span)
        }
        return .number(x.rounded(.down))
    }
}
