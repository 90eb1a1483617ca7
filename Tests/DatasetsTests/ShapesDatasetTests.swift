import Datasets
import Engine
import Foundation
import XCTest

final class ShapesDatasetTests: XCTestCase {
    private func bytes(_ split: DatasetSplit) -> [UInt8] {
        (0..<split.count).flatMap { Array(split.pixels(at: $0)) }
    }

    func testSameSeedGivesIdenticalBytesAndOtherSeedsDiffer() throws {
        let first = try ShapesDataset.generate(trainCount: 300, testCount: 60, seed: 42)
        let again = try ShapesDataset.generate(trainCount: 300, testCount: 60, seed: 42)
        XCTAssertEqual(bytes(first.train), bytes(again.train))
        XCTAssertEqual(bytes(first.test), bytes(again.test))
        XCTAssertEqual(first.train.labels, again.train.labels)
        XCTAssertEqual(first.test.labels, again.test.labels)

        let other = try ShapesDataset.generate(trainCount: 300, testCount: 60, seed: 43)
        XCTAssertNotEqual(other.train.labels, first.train.labels)
        // Every image differs, not just a few bytes.
        for i in 0..<other.train.count {
            XCTAssertNotEqual(Array(other.train.pixels(at: i)), Array(first.train.pixels(at: i)), "image \(i)")
        }
        // The test split is not a copy of the training split.
        XCTAssertNotEqual(Array(first.test.pixels(at: 0)), Array(first.train.pixels(at: 0)))
    }

    func testShapeClassesAndBalance() throws {
        let data = try ShapesDataset.generate(trainCount: 205, testCount: 40, seed: 1)
        XCTAssertEqual(data.name, "shapes")
        XCTAssertEqual(data.source, "generated (seed 1)")
        XCTAssertEqual(data.train.shape, [205, 32, 32, 3])
        XCTAssertEqual(data.test.shape, [40, 32, 32, 3])
        XCTAssertEqual(data.classNames.count, 10)
        XCTAssertEqual(data.classNames.first, "circle")
        XCTAssertEqual(data.train.classCounts, [21, 21, 21, 21, 21, 20, 20, 20, 20, 20])
        XCTAssertEqual(data.test.classCounts, [Int](repeating: 4, count: 10))
        // Images use the whole byte range rather than a constant fill.
        let all = bytes(data.train)
        XCTAssertLessThan(all.min() ?? 255, 20)
        XCTAssertGreaterThan(all.max() ?? 0, 235)
    }

    func testLoaderPassesSizesAndSeed() throws {
        let options = DataOptions(environment: [:], allowDownload: false,
                                  shapesTrainCount: 50, shapesTestCount: 20, shapesSeed: 9)
        let loaded = try DataLoader.load(.shapes, options: options)
        let direct = try ShapesDataset.generate(trainCount: 50, testCount: 20, seed: 9)
        XCTAssertEqual(loaded.train.count, 50)
        XCTAssertEqual(loaded.test.count, 20)
        XCTAssertEqual(bytes(loaded.train), bytes(direct.train))
        XCTAssertEqual(DatasetKind(name: "Shapes"), .shapes)
    }

    func testTooManyImagesIsAnError() {
        XCTAssertThrowsError(try ShapesDataset.generate(trainCount: ShapesDataset.maximumCount + 1, testCount: 10)) { error in
            XCTAssertTrue("\(error)".contains("shapes: 100001 train images is outside 0…100000"), "\(error)")
        }
        XCTAssertThrowsError(try ShapesDataset.generate(trainCount: 10, testCount: -1)) { error in
            XCTAssertTrue("\(error)".contains("-1 test images"), "\(error)")
        }
    }

    /// A small CNN trained on the split itself (UInt8 pixels scaled by 1/255 batch by batch)
    /// classifies held-out images far above the 10% of chance, while a linear model on the
    /// same pixels does not: colour and position do not give the class away, the form does.
    func testASmallCNNLearnsItAndALinearModelDoesNot() throws {
        let data = try ShapesDataset.generate(trainCount: 2000, testCount: 500, seed: 3).applying(.divide(255))
        func trained(_ layers: [any Layer]) throws -> (test: Double, losses: [Double]) {
            let model = try Model.sequential(inputShape: [32, 32, 3], layers: layers, seed: 5)
            try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
            model.optimizer?.learningRate = 0.003
            let history = try model.fit(data.train, epochs: 5, batchSize: 32, seed: 2)
            return (try model.evaluate(data.test).accuracy ?? 0, history.loss)
        }
        let cnn = try trained([
            Convolution(rank: 2, filters: 16, kernelSize: [3], activation: .relu),
            Pooling(kind: .max, rank: 2),
            Convolution(rank: 2, filters: 32, kernelSize: [3], activation: .relu),
            Pooling(kind: .max, rank: 2),
            Flatten(),
            Dense(units: 10, activation: .softmax),
        ])
        let linear = try trained([Flatten(), Dense(units: 10, activation: .softmax)])
        XCTAssertLessThan(cnn.losses.last ?? 9, cnn.losses.first ?? 0)
        XCTAssertGreaterThan(cnn.test, 0.7, "CNN test accuracy \(cnn.test), losses \(cnn.losses)")
        XCTAssertLessThan(linear.test, 0.35, "linear test accuracy \(linear.test)")
    }
}
