import Datasets
import Engine
import Foundation
import TestSupport
import XCTest

final class DatasetSplitTests: XCTestCase {
    /// 30 images of 2x2x3; byte k of image i is (i * 12 + k) % 256, label i % 10.
    private func sample(count: Int = 30) -> DatasetSplit {
        let size = 12
        let images = SharedBuffer<UInt8>((0..<count * size).map { UInt8($0 % 256) })
        let labels = SharedBuffer<Int32>((0..<count).map { Int32($0 % 10) })
        return DatasetSplit(name: "train", images: images, labels: labels, count: count,
                            height: 2, width: 2, channels: 3, classNames: (0..<10).map { "c\($0)" })
    }

    private func byte(image i: Int, _ k: Int) -> UInt8 { UInt8((i * 12 + k) % 256) }

    func testArithmeticIsFloat32StepByStepAndCopiesNothing() throws {
        let split = sample()
        let scaled = split.applying(.divide(255))
        XCTAssertTrue(scaled.imageBuffer === split.imageBuffer, "data / 255 shares the UInt8 pixels")
        XCTAssertTrue(scaled.labelBuffer === split.labelBuffer)
        XCTAssertEqual(scaled.pixels(at: 7).baseAddress, split.pixels(at: 7).baseAddress)
        XCTAssertTrue(scaled.isScaled)
        XCTAssertFalse(split.isScaled)
        // Each byte reads as float32 division, as NumPy's x.astype(float32) / 255 (which for
        // these 256 values is also the Float of the Double quotient).
        for b in 0...255 {
            XCTAssertEqual(scaled.value(ofByte: UInt8(b)), Float(b) / Float(255), "byte \(b)")
            XCTAssertEqual(scaled.value(ofByte: UInt8(b)), Float(Double(b) / 255), "byte \(b)")
            XCTAssertEqual(split.value(ofByte: UInt8(b)), Float(b))
        }
        let image = scaled.image(at: 3)
        XCTAssertEqual(image.shape, [2, 2, 3])
        XCTAssertEqual(image.scalars, (0..<12).map { Float(Double(byte(image: 3, $0)) / 255) })
        XCTAssertEqual(split.image(at: 3).scalars, (0..<12).map { Float(byte(image: 3, $0)) })

        // (data / 255 - 0.5) * 2 maps 0…255 onto -1…1, rounding to float32 after each step.
        let centred = scaled.applying(.add(-0.5)).applying(.multiply(2))
        XCTAssertEqual(centred.value(ofByte: 0), -1)
        XCTAssertEqual(centred.value(ofByte: 255), 1)
        XCTAssertEqual(centred.value(ofByte: 51), (Float(51) / 255 - 0.5) * 2)
        // x * 1000 - 300 is two roundings, not one (NumPy: 0.3019608 * 1000 is 301.9608 in
        // float32, minus 300 gives 1.9607849, where one Double map would give 1.9607843).
        let wide = scaled.applying(.multiply(1000)).applying(.add(-300))
        XCTAssertEqual(wide.value(ofByte: 77), (Float(77) / 255 * 1000) - 300)
        XCTAssertNotEqual(wide.value(ofByte: 77), Float(77.0 / 255 * 1000 - 300))
        XCTAssertEqual("\(scaled)", "train: 30 images 2x2x3, 10 classes, read as float32 (byte 0 as 0.0, 255 as 1.0)")
        XCTAssertEqual("\(split)", "train: 30 images 2x2x3, 10 classes")
    }

    func testRangeSliceSharesTheBuffersAndKeepsTheScale() throws {
        let split = sample().applying(.multiply(0.5))
        let first = split[0..<25]
        XCTAssertEqual(first.shape, [25, 2, 2, 3])
        XCTAssertEqual(first.labelsShape, [25])
        XCTAssertEqual(first.labels, (0..<25).map { Int32($0 % 10) })
        XCTAssertTrue(first.imageBuffer === split.imageBuffer)
        XCTAssertEqual(first.value(ofByte: 10), 5)
        XCTAssertEqual(first.name, "train")

        let middle = try split.slice(10..<20)
        XCTAssertEqual(middle.start, 10)
        XCTAssertEqual(middle.count, 10)
        XCTAssertEqual(middle.label(at: 3), 3)
        XCTAssertEqual(Array(middle.pixels(at: 3)), (0..<12).map { byte(image: 13, $0) })
        XCTAssertEqual(middle.pixels(at: 0).baseAddress, split.pixels(at: 10).baseAddress)
        // A slice of a slice counts from the slice.
        let inner = middle[2..<5]
        XCTAssertEqual(inner.start, 12)
        XCTAssertEqual(inner.labels, [2, 3, 4])
        XCTAssertEqual(middle.classCounts, [Int](repeating: 1, count: 10))

        XCTAssertThrowsError(try split.slice(20..<31)) { error in
            XCTAssertEqual("\(error)", "range 20..<31 is outside the 30 images of train\n  hint: use a range within 0..<30")
        }
        XCTAssertThrowsError(try middle.slice(0..<11)) { error in
            XCTAssertTrue("\(error)".contains("outside the 10 images"), "\(error)")
        }
        XCTAssertEqual(try split.slice(30..<30).count, 0)
    }

    func testSingleIndexIsASplitOfOneImage() throws {
        let split = sample()
        let one = try split.slice(17)
        XCTAssertEqual(one.shape, [1, 2, 2, 3])
        XCTAssertEqual(one.labels, [7])
        XCTAssertEqual(one.className(at: 0), "c7")
        XCTAssertEqual(Array(one.pixels(at: 0)), (0..<12).map { byte(image: 17, $0) })
        XCTAssertEqual(one.tensor().shape, [1, 2, 2, 3])
        for index in [-1, 30] {
            XCTAssertThrowsError(try split.slice(index)) { error in
                XCTAssertEqual("\(error)", "index \(index) is outside the 30 images of train\n  hint: use an index from 0 to 29")
            }
        }
        XCTAssertThrowsError(try split.prefix(0).checkIndex(0)) { error in
            XCTAssertTrue("\(error)".contains("this split is empty"), "\(error)")
        }
    }

    func testPrefixIsTheFirstNImages() {
        let split = sample()
        XCTAssertEqual(split.prefix(12).labels, (0..<12).map { Int32($0 % 10) })
        XCTAssertEqual(split.prefix(12).start, 0)
        XCTAssertEqual(split.prefix(100).count, 30)
        XCTAssertEqual(split.prefix(-3).count, 0)
        let dataset = Dataset(name: "sample", train: split, test: sample(count: 8), source: "memory")
        let limited = dataset.prefix(train: 5, test: 100).applying(.divide(255))
        XCTAssertEqual(limited.train.count, 5)
        XCTAssertEqual(limited.test.count, 8)
        XCTAssertEqual(limited.test.value(ofByte: 255), 1)
        XCTAssertEqual(limited.classNames, split.classNames)
        XCTAssertEqual(dataset.applying(.add(1)).train.value(ofByte: 2), 3)
    }

    func testTensorAndBatchFilling() throws {
        let split = sample().applying(.multiply(0.25))
        let all = split.tensor()
        XCTAssertEqual(all.shape, [30, 2, 2, 3])
        XCTAssertEqual(all[29, 1, 1, 2], Float(byte(image: 29, 11)) * 0.25)

        // Gathered batch from a slice: indices are the slice's.
        let view = split[5..<30]
        let batch = Tensor(zeros: [3, 2, 2, 3])
        var labels = [Int32](repeating: -1, count: 3)
        view.fill(indices: [4, 0, 20], into: batch, labels: &labels)
        XCTAssertEqual(labels, [9, 5, 5])
        XCTAssertEqual(Array(batch.scalars[0..<12]), (0..<12).map { Float(byte(image: 9, $0)) * 0.25 })
        XCTAssertEqual(Array(batch.scalars[24..<36]), (0..<12).map { Float(byte(image: 25, $0)) * 0.25 })

        // Consecutive batch.
        let range = Tensor(zeros: [2, 2, 2, 3])
        var rangeLabels = [Int32](repeating: -1, count: 2)
        view.fill(range: 1..<3, into: range, labels: &rangeLabels)
        XCTAssertEqual(rangeLabels, [6, 7])
        XCTAssertEqual(Array(range.scalars[12..<24]), (0..<12).map { Float(byte(image: 7, $0)) * 0.25 })

        // The engine's batch protocol gives the same rows.
        let source: any BatchSource = view
        XCTAssertEqual(source.count, 25)
        XCTAssertEqual(source.itemShape, [2, 2, 3])
        XCTAssertNil(source.targetShape)
        let rows = Tensor(zeros: [3, 2, 2, 3])
        source.fillInputs(indices: [4, 0, 20][...], into: rows)
        XCTAssertEqual(rows.scalars, batch.scalars)
        var targets = [Int32](repeating: -1, count: 3)
        targets.withUnsafeMutableBufferPointer {
            source.fillTargets(indices: [4, 0, 20][...], labels: $0, values: Tensor(zeros: [0]))
        }
        XCTAssertEqual(targets, [9, 5, 5])
    }

    /// The real CIFAR-10 scaled by 1/255 still holds its pixels once, as bytes.
    func testScalingCIFAR10KeepsOneByteCopy() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"], !root.isEmpty else {
            throw MissingTool.error("CNNB_DATA is not set; run with CNNB_DATA=/path/to/datasets to test the real files")
        }
        let folder = root + "/cifar-10-exact-subset"
        guard FileManager.default.fileExists(atPath: folder) else { throw MissingTool.error("\(folder) is absent") }
        let data = try CIFAR10.load(directory: folder)
        let scaled = data.applying(.divide(255))
        XCTAssertTrue(scaled.train.imageBuffer === data.train.imageBuffer)
        XCTAssertEqual(scaled.train.imageBuffer.count, 8068 * 3072, "one byte per pixel value")
        let shown = scaled.train[0..<25]
        XCTAssertEqual(shown.shape, [25, 32, 32, 3])
        let first = shown.image(at: 0)
        let raw = data.train.pixels(at: 0)
        XCTAssertEqual(first[0, 0, 0], Float(Double(raw[0]) / 255))
        XCTAssertEqual(first[31, 31, 2], Float(Double(raw[3071]) / 255))
    }
}
