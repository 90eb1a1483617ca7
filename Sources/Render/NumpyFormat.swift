import Foundation

/// Arrays written the way NumPy's `repr` writes them (default print options: summarised with
/// "..." above 1000 elements, 3 edge items, 8 digits of precision, lines of 75 characters).
public enum NumpyFormat {
    public static let threshold = 1000
    public static let edgeItems = 3
    public static let precision = 8
    public static let lineWidth = 75

    /// NumPy 2 (2.3 and later) writes `shape=(...)` after an array summarised with "...", and
    /// switches float32 arrays to scientific notation from 1e6 rather than 1e8 (the cutoff is
    /// 10^min(8, the type's decimal precision)); NumPy 1 (the seed lesson's) does neither.
    public enum Style: Sendable {
        case numpy1
        case numpy2
    }

    /// `array([...])` for floating-point values in row-major order. `dtype` is appended as
    /// `dtype=NAME` unless nil (NumPy leaves out float64).
    public static func repr(_ values: [Float], shape: [Int], dtype: String? = nil, style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            FloatFormatter(values: shown.map { values[$0] }, style: style)
        }
    }

    public static func repr(_ values: [Double], shape: [Int], dtype: String? = nil, style: Style = .numpy1) throws -> String {
        try repr(count: values.count, shape: shape, dtype: dtype, style: style) { shown in
            FloatFormatter(values: shown.map { values[$0] }, style: style)
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

/// NumPy's "maxprec" float format (FloatingFormat in arrayprint.py): each value's unique digits
/// up to 8 decimals, padded so the decimal points line up; scientific notation when values span
/// too many orders of magnitude, where every value then shows as many digits as the longest.
private struct FloatFormatter: ElementFormatter {
    private var texts: [String] = []

    init<F: BinaryFloatingPoint>(values: [F], style: NumpyFormat.Style) {
        let precision = NumpyFormat.precision
        let finite = values.filter(\.isFinite)
        let magnitudes = finite.filter { $0 != 0 }.map(\.magnitude)
        var scientificMode = false
        // np.finfo(dtype).precision: 6 for float32, 15 for float64.
        let typePrecision = Int((Double(F.significandBitCount) * 0.30102999566398119521373889472449).rounded(.down))
        let cutoff: F = style == .numpy2 ? F(pow(10, Double(min(8, typePrecision)))) : 1e8
        // Compared in the array's own type, as NumPy 2 does.
        if let high = magnitudes.max(), let low = magnitudes.min() {
            scientificMode = high >= cutoff || low < 0.0001 || high / low > 1000
        }
        var padLeft = 0, padRight = 0
        var texts: [String] = []

        if scientificMode {
            // A first pass finds the longest unique fraction; the second prints every value with
            // that many digits, the extra ones being the exact value's (never padded zeros).
            let first = finite.map { Dragon4.scientific($0, precision: precision) }
            let fractionDigits = first.map(\.fraction.count).max() ?? 0
            let exponentDigits = max(2, first.map { String($0.exponent.magnitude).count }.max() ?? 2)
            padLeft = first.map(\.integer.count).max() ?? 0
            for value in values {
                guard value.isFinite else {
                    texts.append("")
                    continue
                }
                let (integer, fraction, exponent) = Dragon4.scientific(value, precision: fractionDigits,
                                                                       minimumFraction: fractionDigits, keepZeros: true)
                let exponentText = String(exponent.magnitude)
                let e = "e" + (exponent < 0 ? "-" : "+") + String(repeating: "0", count: max(0, exponentDigits - exponentText.count)) + exponentText
                texts.append(String(repeating: " ", count: max(0, padLeft - integer.count)) + integer + "." + fraction + e)
            }
            // Width used to right-align nan and inf.
            padRight = fractionDigits + 2 + exponentDigits
        } else {
            let parts = finite.map { Dragon4.positional($0, precision: precision) }
            padLeft = parts.map(\.integer.count).max() ?? 0
            padRight = parts.map(\.fraction.count).max() ?? 0
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
