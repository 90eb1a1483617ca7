import Foundation

/// Arrays written the way NumPy's `repr` writes them (default print options: summarised with
/// "..." above 1000 elements, 3 edge items, 8 digits of precision, lines of 75 characters).
public enum NumpyFormat {
    public static let threshold = 1000
    public static let edgeItems = 3
    public static let precision = 8
    public static let lineWidth = 75

    /// NumPy 2.2 and later also write `shape=(...)` after an array summarised with "...";
    /// earlier versions (those the seed lesson ran on) do not.
    public enum Style: Sendable {
        case numpy1
        case numpy2
    }

    /// `array([...])` for floating-point values in row-major order. `dtype` is appended as
    /// `dtype=NAME` unless nil (NumPy leaves out float64).
    public static func repr(_ values: [Float], shape: [Int], dtype: String? = nil, style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            FloatFormatter(values: shown.map { values[$0] })
        }
    }

    public static func repr(_ values: [Double], shape: [Int], dtype: String? = nil, style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            FloatFormatter(values: shown.map { values[$0] })
        }
    }

    /// `array([...])` for integers (labels, counts). NumPy leaves out the default int64.
    public static func repr(_ values: [Int], shape: [Int], dtype: String? = nil, style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            IntegerFormatter(values: shown.map { values[$0] })
        }
    }

    /// Bytes, e.g. CIFAR labels: `dtype=uint8` by default, as NumPy prints them.
    public static func repr(_ values: [UInt8], shape: [Int], dtype: String? = "uint8", style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            IntegerFormatter(values: shown.map { Int(values[$0]) })
        }
    }

    // MARK: - Layout

    private static func repr(count: Int, shape: [Int], dtype: String?, style: Style,
                             makeFormatter: ([Int]) -> ElementFormatter) throws -> String {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw RenderError.invalidInput("array shape \(shape) has a negative dimension")
        }
        let size = shape.reduce(1, *)
        guard size == count else {
            throw RenderError.invalidInput("an array of shape (\(shape.map(String.init).joined(separator: ", "))) holds \(size) values, got \(count)")
        }
        let prefix = "array("
        let body: String
        if size == 0 {
            body = shape == [0] ? "[]" : "[], shape=(\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : ""))"
        } else {
            let summarise = size > threshold
            var strides = [Int](repeating: 1, count: shape.count)
            for axis in stride(from: shape.count - 2, through: 0, by: -1) {
                strides[axis] = strides[axis + 1] * shape[axis + 1]
            }
            // Only the elements that will be shown decide the format, as in NumPy.
            var shown: [Int] = []
            collectShown(shape: shape, strides: strides, axis: 0, offset: 0, summarise: summarise, into: &shown)
            let formatter = makeFormatter(shown)
            var position = 0
            var formatted: [Int: String] = [:]
            for flat in shown {
                formatted[flat] = formatter.format(position)
                position += 1
            }
            let printer = ArrayPrinter(shape: shape, strides: strides, elements: formatted, summarise: summarise,
                                       lineWidth: lineWidth - 1)
            body = shape.isEmpty ? (formatted[0] ?? "") : printer.render(hangingIndent: String(repeating: " ", count: prefix.count + 1))
        }
        var extras: [String] = []
        if style == .numpy2 && size > threshold {
            extras.append("shape=(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")"))
        }
        if let dtype { extras.append("dtype=\(dtype)") }
        guard !extras.isEmpty else { return prefix + body + ")" }
        let text = prefix + body + ","
        let lastLine = text.count - ((text.lastIndex(of: "\n").map { text.distance(from: text.startIndex, to: $0) + 1 }) ?? 0)
        let extraText = extras.joined(separator: ", ") + ")"
        let spacer = lastLine + extraText.count + 1 > lineWidth ? "\n" + String(repeating: " ", count: prefix.count) : " "
        return text + spacer + extraText
    }

    private static func indices(length: Int, summarise: Bool) -> (leading: Range<Int>, trailing: Range<Int>, gap: Bool) {
        if summarise && length > 2 * edgeItems {
            return (0..<edgeItems, (length - edgeItems)..<length, true)
        }
        return (0..<length, length..<length, false)
    }

    private static func collectShown(shape: [Int], strides: [Int], axis: Int, offset: Int, summarise: Bool, into shown: inout [Int]) {
        if axis == shape.count {
            shown.append(offset)
            return
        }
        let (leading, trailing, _) = indices(length: shape[axis], summarise: summarise)
        for i in Array(leading) + Array(trailing) {
            collectShown(shape: shape, strides: strides, axis: axis + 1, offset: offset + i * strides[axis],
                         summarise: summarise, into: &shown)
        }
    }

    /// NumPy's nested-bracket layout: rows wrapped at the line width, blank lines between blocks
    /// of three or more dimensions, "..." standing for the elided middle of long axes.
    private struct ArrayPrinter {
        let shape: [Int]
        let strides: [Int]
        let elements: [Int: String]
        let summarise: Bool
        let lineWidth: Int
        let separator = ", "

        func render(hangingIndent: String) -> String {
            recurse(axis: 0, offset: 0, hangingIndent: hangingIndent, width: lineWidth)
        }

        private func recurse(axis: Int, offset: Int, hangingIndent: String, width: Int) -> String {
            if axis == shape.count { return elements[offset] ?? "" }
            let axesLeft = shape.count - axis
            let nextIndent = hangingIndent + " "
            let nextWidth = width - 1
            let (leading, trailing, gap) = NumpyFormat.indices(length: shape[axis], summarise: summarise)
            let items = Array(leading) + Array(trailing)
            var s = ""
            if axesLeft == 1 {
                let elementWidth = width - max(separator.trimmingCharacters(in: .whitespaces).count, 1)
                var line = hangingIndent
                func extend(_ word: String) {
                    var wrap = line.count + word.count > elementWidth
                    if line.count <= hangingIndent.count { wrap = false }
                    if wrap {
                        s += trimmedTrailing(line) + "\n"
                        line = hangingIndent
                    }
                    line += word
                }
                for (position, i) in items.enumerated() {
                    if gap && position == leading.count {
                        extend("...")
                        line += separator
                    }
                    extend(recurse(axis: axis + 1, offset: offset + i * strides[axis], hangingIndent: nextIndent, width: nextWidth))
                    if position < items.count - 1 { line += separator }
                }
                s += line
            } else {
                let lineSeparator = separator.trimmingCharacters(in: .whitespaces) + String(repeating: "\n", count: axesLeft - 1)
                for (position, i) in items.enumerated() {
                    if gap && position == leading.count {
                        s += hangingIndent + "..." + lineSeparator
                    }
                    let nested = recurse(axis: axis + 1, offset: offset + i * strides[axis], hangingIndent: nextIndent, width: nextWidth)
                    s += hangingIndent + nested
                    if position < items.count - 1 { s += lineSeparator }
                }
            }
            return "[" + String(s.dropFirst(hangingIndent.count)) + "]"
        }

        private func trimmedTrailing(_ text: String) -> String {
            var end = text.endIndex
            while end > text.startIndex, text[text.index(before: end)] == " " { end = text.index(before: end) }
            return String(text[..<end])
        }
    }
}

/// Formats the `index`-th shown element.
private protocol ElementFormatter {
    func format(_ index: Int) -> String
}

/// Integers right-aligned to the widest shown value.
private struct IntegerFormatter: ElementFormatter {
    let values: [Int]
    let width: Int

    init(values: [Int]) {
        self.values = values
        width = max(String(values.max() ?? 0).count, String(values.min() ?? 0).count)
    }

    func format(_ index: Int) -> String {
        let text = String(values[index])
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

/// A value's shortest round-trip decimal digits: value = 0.DIGITS x 10^exponent.
private struct DecimalDigits {
    var negative: Bool
    var digits: [UInt8]
    var exponent: Int

    init<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) {
        negative = value.sign == .minus
        var text = String(value.magnitude)
        var exponentPart = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponentPart = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let pointIndex = text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count
        var all = text.compactMap { $0.wholeNumberValue.map(UInt8.init) }
        var point = pointIndex + exponentPart
        while let first = all.first, first == 0, all.count > 1 {
            all.removeFirst()
            point -= 1
        }
        while let last = all.last, last == 0, all.count > 1 { all.removeLast() }
        if all == [0] { point = 1 }
        digits = all
        exponent = point
    }

    var isZero: Bool { digits == [0] }

    /// Rounds half up to keep `count` digits in total (count may be <= 0: everything rounds away).
    mutating func round(keeping count: Int) {
        guard count < digits.count else { return }
        if count < 0 {
            digits = [0]
            exponent = 1
            return
        }
        let roundUp = digits[count] >= 5
        digits = Array(digits.prefix(count))
        if roundUp {
            var i = digits.count - 1
            while i >= 0 {
                if digits[i] == 9 {
                    digits[i] = 0
                    i -= 1
                } else {
                    digits[i] += 1
                    break
                }
            }
            if i < 0 {
                digits.insert(1, at: 0)
                exponent += 1
            }
        }
        while let last = digits.last, last == 0, digits.count > 1 { digits.removeLast() }
        if digits.isEmpty || digits.allSatisfy({ $0 == 0 }) {
            digits = [0]
            exponent = 1
        }
    }

    /// Integer and fraction digits for positional notation with at most `precision` decimals.
    func positional(precision: Int) -> (String, String) {
        var copy = self
        if !isZero { copy.round(keeping: copy.exponent + precision) }
        let ds = copy.digits.map { Character(String($0)) }
        var integer = "", fraction = ""
        if copy.isZero {
            integer = "0"
        } else if copy.exponent <= 0 {
            integer = "0"
            fraction = String(repeating: "0", count: -copy.exponent) + String(ds)
        } else if copy.exponent >= ds.count {
            integer = String(ds) + String(repeating: "0", count: copy.exponent - ds.count)
        } else {
            integer = String(ds.prefix(copy.exponent))
            fraction = String(ds.dropFirst(copy.exponent))
        }
        return ((negative ? "-" : "") + integer, fraction)
    }

    /// Mantissa integer digit, fraction digits and exponent for scientific notation.
    func scientific(precision: Int) -> (String, String, Int) {
        var copy = self
        if !isZero { copy.round(keeping: 1 + precision) }
        let ds = copy.digits.map { Character(String($0)) }
        let exponent = copy.isZero ? 0 : copy.exponent - 1
        return ((negative ? "-" : "") + String(ds[0]), String(ds.dropFirst()), exponent)
    }
}

/// NumPy's "maxprec" float format: shortest digits up to 8 decimals, padded so the decimal points
/// line up; scientific notation when values span too many orders of magnitude.
private struct FloatFormatter: ElementFormatter {
    private var texts: [String] = []

    init<F: BinaryFloatingPoint & LosslessStringConvertible>(values: [F]) {
        let precision = NumpyFormat.precision
        let finite = values.filter(\.isFinite)
        let magnitudes = finite.filter { $0 != 0 }.map(\.magnitude)
        var scientificMode = false
        if let high = magnitudes.max(), let low = magnitudes.min() {
            scientificMode = high >= 1e8 || low < 0.0001 || high / low > 1000
        }
        let digits = finite.map { DecimalDigits($0) }
        var padLeft = 0, padRight = 0
        var texts: [String] = []

        if scientificMode {
            let parts = digits.map { $0.scientific(precision: precision) }
            let fractionDigits = parts.map(\.1.count).max() ?? 0
            let exponentDigits = max(2, parts.map { String($0.2.magnitude).count }.max() ?? 2)
            padLeft = parts.map(\.0.count).max() ?? 0
            padRight = 0
            var finiteIndex = 0
            for value in values {
                guard value.isFinite else {
                    texts.append("")
                    continue
                }
                let (integer, fraction, exponent) = parts[finiteIndex]
                finiteIndex += 1
                let paddedFraction = fraction + String(repeating: "0", count: fractionDigits - fraction.count)
                let exponentText = String(exponent.magnitude)
                let e = "e" + (exponent < 0 ? "-" : "+") + String(repeating: "0", count: exponentDigits - exponentText.count) + exponentText
                texts.append(String(repeating: " ", count: padLeft - integer.count) + integer + "." + paddedFraction + e)
            }
            // Width used to right-align nan and inf.
            padRight = fractionDigits + 2 + exponentDigits
        } else {
            let parts = digits.map { $0.positional(precision: precision) }
            padLeft = parts.map(\.0.count).max() ?? 0
            padRight = parts.map(\.1.count).max() ?? 0
            var finiteIndex = 0
            for value in values {
                guard value.isFinite else {
                    texts.append("")
                    continue
                }
                let (integer, fraction) = parts[finiteIndex]
                finiteIndex += 1
                texts.append(String(repeating: " ", count: padLeft - integer.count) + integer + "." + fraction
                             + String(repeating: " ", count: padRight - fraction.count))
            }
        }
        if finite.count != values.count {
            let negativeInfinity = values.contains { $0.isInfinite && $0 < 0 } ? 1 : 0
            let offset = padRight + 1
            padLeft = max(padLeft, 3 - offset, 3 + negativeInfinity - offset)
            let total = padLeft + padRight + 1
            for (index, value) in values.enumerated() where !value.isFinite {
                let word = value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf")
                texts[index] = String(repeating: " ", count: max(0, total - word.count)) + word
            }
            // Finite values gain the same left padding.
            for (index, value) in values.enumerated() where value.isFinite {
                let width = padLeft + padRight + 1
                if texts[index].count < width {
                    texts[index] = String(repeating: " ", count: width - texts[index].count) + texts[index]
                }
            }
        }
        self.texts = texts
    }

    func format(_ index: Int) -> String { texts[index] }
}
