/// Owned, 64-byte aligned memory for a dataset's pixels or labels. Splits and slices hold a
/// reference to it plus an offset, so `data.train[0..<25]` copies nothing.
public final class SharedBuffer<Element>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int

    /// Uninitialised memory for `count` elements of a trivial type (bytes, integers, floats).
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Element>.stride,
                                                   alignment: 64)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    public convenience init(_ values: [Element]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
