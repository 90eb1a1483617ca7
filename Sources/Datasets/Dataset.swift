/// A dataset as the language sees it, like Keras's `(x_train, y_train), (x_test, y_test)`:
/// a train and a test split sharing class names, plus where it came from.
public struct Dataset: Sendable {
    /// "cifar10", "mnist", "fashion_mnist", "shapes".
    public let name: String
    public var train: DatasetSplit
    public var test: DatasetSplit
    /// The folder the files were read from, or "generated".
    public let source: String

    public init(name: String, train: DatasetSplit, test: DatasetSplit, source: String) {
        self.name = name
        self.train = train
        self.test = test
        self.source = source
    }

    public var classNames: [String] { train.classNames }

    /// Both splits read through one more float32 step (`data / 255`).
    public func applying(_ step: DatasetSplit.Arithmetic) -> Dataset {
        Dataset(name: name, train: train.applying(step), test: test.applying(step), source: source)
    }

    /// The first `train` training and `test` test images (for limiting a run).
    public func prefix(train trainCount: Int, test testCount: Int) -> Dataset {
        Dataset(name: name, train: train.prefix(trainCount), test: test.prefix(testCount), source: source)
    }
}

extension Dataset: CustomStringConvertible {
    public var description: String { "\(name) (\(source))\n  \(train)\n  \(test)" }
}
