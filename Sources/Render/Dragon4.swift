/// Decimal digits of a binary floating-point value as NumPy prints them: Steele & White's
/// Dragon4 on exact big-integer arithmetic, with the float's own neighbours deciding the
/// shortest unique digits (a float32 prints float32's shortest digits, not Double's), a cutoff
/// that rounds the exact value (never the already rounded shortest digits), and a minimum count
/// of digits past the shortest ones, which are again the exact value's.
struct Dragon4 {
    enum Cutoff {
        /// At most `n` significant digits (scientific notation: 1 + precision).
        case total(Int)
        /// At most `n` digits after the decimal point (positional notation).
        case fraction(Int)
    }

    /// The digits (no leading zeros unless the value is 0) and the power of ten of the first.
    var digits: [UInt8]
    var exponent: Int

    /// The finite value `value`'s digits: unique (shortest that reads back as the same float)
    /// but at most `maximum` and, when `minimum` asks for more, extended with exact digits.
    init<F: BinaryFloatingPoint>(_ value: F, maximum: Cutoff?, minimum: Cutoff? = nil) {
        let bits = UInt64(value.significandBitPattern)
        let biased = Int(value.exponentBitPattern)
        let fractionBits = F.significandBitCount
        let bias = (1 << (F.exponentBitCount - 1)) - 1
        var mantissa: UInt64
        var exponent2: Int
        var unequalMargins = false
        if biased != 0 {
            mantissa = (UInt64(1) << UInt64(fractionBits)) | bits
            exponent2 = biased - bias - fractionBits
            unequalMargins = biased != 1 && bits == 0
        } else {
            mantissa = bits
            exponent2 = 1 - bias - fractionBits
        }
        guard mantissa != 0 else {
            digits = [0]
            exponent = 0
            return
        }
        let mantissaBit = 63 - mantissa.leadingZeroBitCount

        // value = scaledValue / scale; the margins are half the distance to each neighbour.
        var scale: BigNumber, scaledValue = BigNumber(mantissa), marginLow: BigNumber
        if unequalMargins {
            if exponent2 > 0 {
                scaledValue.shiftLeft(exponent2 + 2)
                scale = BigNumber(4)
                marginLow = BigNumber.powerOfTwo(exponent2)
            } else {
                scaledValue.shiftLeft(2)
                scale = BigNumber.powerOfTwo(-exponent2 + 2)
                marginLow = BigNumber(1)
            }
        } else {
            if exponent2 > 0 {
                scaledValue.shiftLeft(exponent2 + 1)
                scale = BigNumber(2)
                marginLow = BigNumber.powerOfTwo(exponent2)
            } else {
                scaledValue.shiftLeft(1)
                scale = BigNumber.powerOfTwo(-exponent2 + 1)
                marginLow = BigNumber(1)
            }
        }
        func marginHigh() -> BigNumber {
            guard unequalMargins else { return marginLow }
            var high = marginLow
            high.shiftLeft(1)
            return high
        }

        // An estimate of floor(log10(value)) + 1 that is right or one too small (Burger & Dybvig).
        var digitExponent = Int((Double(mantissaBit + exponent2) * 0.30102999566398119521373889472449 - 0.69).rounded(.up))
        if case .fraction(let n)? = maximum, digitExponent <= -n {
            digitExponent = -n + 1
        }
        if digitExponent > 0 {
            scale.multiply(byPowerOfTen: digitExponent)
        } else if digitExponent < 0 {
            scaledValue.multiply(byPowerOfTen: -digitExponent)
            marginLow.multiply(byPowerOfTen: -digitExponent)
        }
        if scaledValue >= scale {
            digitExponent += 1
        } else {
            scaledValue.multiply(by: 10)
            marginLow.multiply(by: 10)
        }

        let maximumExponent: Int
        switch maximum {
        case .total(let n)?: maximumExponent = digitExponent - n
        case .fraction(let n)?: maximumExponent = -n
        case nil: maximumExponent = digitExponent - 1000
        }
        var minimumExponent = digitExponent
        switch minimum {
        case .total(let n)?: minimumExponent = min(minimumExponent, digitExponent - n)
        case .fraction(let n)?: minimumExponent = min(minimumExponent, -n)
        case nil: break
        }
        exponent = digitExponent - 1

        let isEven = mantissa & 1 == 0
        var out: [UInt8] = []
        var digit: UInt8 = 0
        var low = false, high = false
        while true {
            digitExponent -= 1
            digit = scaledValue.divideOutDigit(by: scale)
            var valueHigh = scaledValue
            valueHigh.add(marginHigh())
            let lowCompare = scaledValue.compare(marginLow)
            low = isEven ? lowCompare <= 0 : lowCompare < 0
            let highCompare = valueHigh.compare(scale)
            high = isEven ? highCompare >= 0 : highCompare > 0
            if ((low || high) && digitExponent <= minimumExponent) || digitExponent == maximumExponent { break }
            out.append(digit)
            scaledValue.multiply(by: 10)
            marginLow.multiply(by: 10)
        }

        // Round the last digit: down when only that is unique, up likewise, else to nearest
        // (ties to even) by the exact remainder.
        var roundDown = low
        if low == high {
            scaledValue.shiftLeft(1)
            let compare = scaledValue.compare(scale)
            roundDown = compare < 0
            if compare == 0 { roundDown = digit & 1 == 0 }
        }
        if roundDown {
            out.append(digit)
        } else if digit < 9 {
            out.append(digit + 1)
        } else {
            while let last = out.last, last == 9 { out.removeLast() }
            if let last = out.popLast() {
                out.append(last + 1)
            } else {
                out = [1]
                exponent += 1
            }
        }
        digits = out
    }

    /// `ddd.ddd` with at most `precision` fraction digits, trailing zeros removed but the point
    /// kept (NumPy's trim '.'), or exactly `minimumFraction` digits when `keepZeros`. The whole
    /// part is always exact (NumPy's min_digits 0): float32 91722632 prints as 91722632., not as
    /// its shortest digits 9172263 padded with a zero.
    static func positional<F: BinaryFloatingPoint>(_ value: F, precision: Int, minimumFraction: Int = 0,
                                                   keepZeros: Bool = false) -> (integer: String, fraction: String) {
        let d = Dragon4(value.magnitude, maximum: .fraction(precision), minimum: .fraction(max(0, minimumFraction)))
        let text = d.digits.map { Character(String($0)) }
        var integer = "", fraction = ""
        if d.exponent >= 0 {
            let whole = d.exponent + 1
            if text.count <= whole {
                integer = String(text) + String(repeating: "0", count: whole - text.count)
            } else {
                integer = String(text.prefix(whole))
                fraction = String(text.dropFirst(whole))
            }
        } else {
            integer = "0"
            fraction = String(repeating: "0", count: -(d.exponent + 1)) + String(text)
        }
        if keepZeros {
            if fraction.count < minimumFraction { fraction += String(repeating: "0", count: minimumFraction - fraction.count) }
        } else {
            while fraction.last == "0" { fraction.removeLast() }
        }
        return ((value.sign == .minus ? "-" : "") + integer, fraction)
    }

    /// `d.ddd` and the power of ten, at most `precision` fraction digits (trim '.'), or at least
    /// `minimumFraction` when `keepZeros`.
    static func scientific<F: BinaryFloatingPoint>(_ value: F, precision: Int, minimumFraction: Int = 0,
                                                   keepZeros: Bool = false) -> (integer: String, fraction: String, exponent: Int) {
        let d = Dragon4(value.magnitude, maximum: .total(precision + 1),
                        minimum: minimumFraction > 0 ? .total(minimumFraction + 1) : nil)
        let text = d.digits.map { Character(String($0)) }
        var fraction = String(text.dropFirst())
        if keepZeros {
            if fraction.count < minimumFraction { fraction += String(repeating: "0", count: minimumFraction - fraction.count) }
        } else {
            while fraction.last == "0" { fraction.removeLast() }
        }
        return ((value.sign == .minus ? "-" : "") + String(text[0]), fraction, d.exponent)
    }
}

/// A non-negative integer of any size, little-endian 32-bit limbs: just what Dragon4 needs.
struct BigNumber: Comparable {
    private(set) var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = value == 0 ? [] : (value >> 32 == 0 ? [UInt32(value)] : [UInt32(truncatingIfNeeded: value), UInt32(value >> 32)])
    }

    static func powerOfTwo(_ n: Int) -> BigNumber {
        var one = BigNumber(1)
        one.shiftLeft(n)
        return one
    }

    var isZero: Bool { limbs.isEmpty }

    mutating func shiftLeft(_ n: Int) {
        guard !limbs.isEmpty, n > 0 else { return }
        let words = n / 32, bits = n % 32
        if bits == 0 {
            limbs.insert(contentsOf: [UInt32](repeating: 0, count: words), at: 0)
            return
        }
        var out = [UInt32](repeating: 0, count: words + limbs.count + 1)
        for (i, limb) in limbs.enumerated() {
            out[i + words] |= limb << UInt32(bits)
            out[i + words + 1] |= limb >> UInt32(32 - bits)
        }
        limbs = out
        trim()
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
        trim()
    }

    mutating func multiply(byPowerOfTen n: Int) {
        var left = n
        // 10^9 fits in a limb.
        while left >= 9 {
            multiply(by: 1_000_000_000)
            left -= 9
        }
        var rest: UInt32 = 1
        for _ in 0..<left { rest *= 10 }
        multiply(by: rest)
    }

    mutating func add(_ other: BigNumber) {
        var carry: UInt64 = 0
        let count = max(limbs.count, other.limbs.count)
        if limbs.count < count { limbs += [UInt32](repeating: 0, count: count - limbs.count) }
        for i in 0..<count {
            let sum = UInt64(limbs[i]) + UInt64(i < other.limbs.count ? other.limbs[i] : 0) + carry
            limbs[i] = UInt32(truncatingIfNeeded: sum)
            carry = sum >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
    }

    /// self -= other; other must not be larger.
    private mutating func subtract(_ other: BigNumber) {
        var borrow: Int64 = 0
        for i in limbs.indices {
            var difference = Int64(limbs[i]) - Int64(i < other.limbs.count ? other.limbs[i] : 0) - borrow
            borrow = 0
            if difference < 0 {
                difference += 1 << 32
                borrow = 1
            }
            limbs[i] = UInt32(difference)
        }
        trim()
    }

    /// The quotient (0...9 by Dragon4's invariant) of self / divisor; self becomes the remainder.
    mutating func divideOutDigit(by divisor: BigNumber) -> UInt8 {
        var quotient: UInt8 = 0
        while compare(divisor) >= 0 {
            subtract(divisor)
            quotient += 1
        }
        return quotient
    }

    func compare(_ other: BigNumber) -> Int {
        if limbs.count != other.limbs.count { return limbs.count < other.limbs.count ? -1 : 1 }
        for i in stride(from: limbs.count - 1, through: 0, by: -1) where limbs[i] != other.limbs[i] {
            return limbs[i] < other.limbs[i] ? -1 : 1
        }
        return 0
    }

    static func < (a: BigNumber, b: BigNumber) -> Bool { a.compare(b) < 0 }

    private mutating func trim() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }
}
