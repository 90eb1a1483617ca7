import Datasets
import Engine
import Foundation
@testable import Language
import Render
import TestSupport
import XCTest

/// The lessons in `Notebooks/` run whole, as `cnnb run` runs them, on limited data.
final class NotebookRunTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    static let notebooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Notebooks")

    struct Run {
        var runner: NotebookRunner
        var session: Session
        var results: [CellResult]
        var outputs: [Output] { results.flatMap(\.outputs) }
        var text: String {
            outputs.compactMap(\.plainText).joined(separator: "\n")
        }
        var figures: [(figure: Figure, path: String)] {
            outputs.compactMap { if case .figure(let f, let p) = $0 { return (f, p) } else { return nil } }
        }
        /// The outputs of the code cell whose text contains `statement`.
        func outputs(of statement: String) -> [Output] {
            results.first { $0.cell.kind == .code && $0.cell.text.contains(statement) }?.outputs ?? []
        }
    }

    /// Runs a notebook of `Notebooks/` and checks that every cell ran without error.
    func runNotebook(_ name: String, environment: [String: String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let path = Self.notebooks.appendingPathComponent(name).path
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let runner = NotebookRunner(source: source, fileName: name)
        XCTAssertEqual(runner.syntaxErrors, [], file: file, line: line)
        let folder = try SessionHarness.makeFolder(name)
        let session = Session(outputDirectory: folder, dataOptions: DataOptions(environment: environment, allowDownload: false),
                              environment: environment)
        let results = runner.run(in: session, keepGoing: false)
        XCTAssertEqual(results.count, runner.notebook.cells.count, file: file, line: line)
        for result in results {
            XCTAssertTrue(result.ran, "cell at line \(result.cell.line) did not run", file: file, line: line)
            XCTAssertNil(result.error, "cell at line \(result.cell.line) failed", file: file, line: line)
        }
        return Run(runner: runner, session: session, results: results)
    }

    /// Summary rows `[name (type), shape, parameters]` of a Keras-style table.
    func summaryRows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { $0.count == 3 }
    }

    func grids(_ run: Run) -> [ImageGrid] { run.figures.compactMap { imageGrid(of: $0.figure) } }

    func testQuickNotebookRunsWhole() throws {
        // 320 training and 64 test images of the generated shapes: 10 batches an epoch.
        let run = try runNotebook("quick.cnnb", environment: ["CNNB_LIMIT": "320"])
        XCTAssertEqual(run.text.components(separatedBy: "\n").prefix(2).joined(separator: "\n"),
                       "((320, 32, 32, 3), (320,))\n((64, 32, 32, 3), (64,))")
        XCTAssertTrue(run.text.contains("[" + ShapesDataset.classNames.map { "'\($0)'" }.joined(separator: ", ") + "]"))

        // conv 16 3x3 on 3 channels: 448; conv 32 3x3 on 16: 4,640; dense 6·6·32 → 32: 36,896; dense 32 → 10: 330.
        let rows = summaryRows(run.text)
        XCTAssertEqual(rows.map { $0[2] }, ["0", "448", "0", "4,640", "0", "0", "36,896", "330"])
        XCTAssertEqual(rows[5], ["flatten (Flatten)", "(None, 1152)", "0"])
        XCTAssertTrue(run.text.contains("Total params: 42,314"), run.text)

        // Training: 3 epochs with validation, then evaluate on the same test images.
        let progress = run.outputs.compactMap { if case .progress(let p) = $0 { return p } else { return nil } }.joined(separator: "\n")
        XCTAssertEqual(progress.split(separator: "\n").filter { $0.hasPrefix("Epoch ") }, ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"])
        XCTAssertEqual(progress.split(separator: "\n").filter { $0.hasPrefix("10/10 ━━━━━━━━━━━━━━━━━━━━ ") }.count, 3)
        guard case .history(let history) = try XCTUnwrap(run.session["history"]) else { return XCTFail("no history") }
        XCTAssertEqual(history.keys, ["accuracy", "loss", "val_accuracy", "val_loss"])
        XCTAssertEqual(history.epochs, 3)
        let accuracy = try XCTUnwrap(history.valAccuracy.last)
        XCTAssertTrue(run.text.contains("accuracy: " + String(format: "%.2f%%", accuracy * 100)), run.text)

        // Figures: the sample grid, the model graph, the accuracy chart, the filters and two
        // feature-map grids, each a PNG of the figure's size.
        XCTAssertEqual(run.figures.count, 6)
        for (figure, path) in run.figures {
            try assertDecodesAsPNG(figure, at: path)
            XCTAssertTrue(path.hasPrefix(run.session.outputDirectory + "/figures/"), path)
        }
        let kinds = run.figures.map { figure -> String in
            switch figure.figure.content {
            case .imageGrid: return "grid"
            case .lineChart: return "chart"
            case .modelGraph: return "graph"
            case .panels: return "panels"
            }
        }
        XCTAssertEqual(kinds, ["grid", "graph", "chart", "grid", "grid", "grid"])
        let sample = try XCTUnwrap(imageGrid(of: run.figures[0].figure))
        XCTAssertEqual([sample.rows, sample.columns, sample.images.count], [4, 4, 16])
        XCTAssertTrue(sample.images.allSatisfy { $0.width == 32 && $0.height == 32 && $0.channels == 3 })
        XCTAssertTrue(sample.images.allSatisfy { ShapesDataset.classNames.contains($0.caption ?? "") })
        guard case .modelGraph(let graph) = run.figures[1].figure.content else { return XCTFail("no graph") }
        XCTAssertEqual(graph.nodes.count, 8)
        guard case .lineChart(let chart) = run.figures[2].figure.content else { return XCTFail("no chart") }
        XCTAssertEqual(chart.series.map(\.name), ["accuracy", "val_accuracy"])
        XCTAssertEqual(chart.series.map(\.y.count), [3, 3])
        let filters = try XCTUnwrap(imageGrid(of: run.figures[3].figure))
        XCTAssertEqual([filters.rows, filters.columns, filters.images.count], [4, 4, 16])
        XCTAssertTrue(filters.images.allSatisfy { $0.width == 3 && $0.height == 3 })
        let maps = [run.figures[4], run.figures[5]].compactMap { imageGrid(of: $0.figure) }
        XCTAssertEqual(maps.map(\.images.count), [16, 32])
        XCTAssertEqual(maps.map { [$0.images[0].width, $0.images[0].height] }, [[30, 30], [13, 13]])

        // The report holds every cell's code and links every figure.
        let report = run.session.outputDirectory
        try ReportWriter.write(results: run.results, to: report, name: "quick")
        let index = try String(contentsOfFile: report + "/index.md", encoding: .utf8)
        XCTAssertTrue(index.contains("# A convolutional network in a minute"), String(index.prefix(60)))
        for (_, path) in run.figures {
            XCTAssertTrue(index.contains("](figures/" + (path as NSString).lastPathComponent + ")"), path)
        }
        XCTAssertTrue(index.contains("compile net optimizer adam loss sparse_categorical_crossentropy metrics accuracy"))
        for file in ["index.html", "quick.ipynb"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: report + "/" + file), file)
        }
        let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/quick.ipynb"))) as? [String: Any]
        XCTAssertEqual((notebook?["cells"] as? [Any])?.count, run.runner.notebook.cells.count)
        XCTAssertFalse(index.contains("(not run)"))
    }

    func testCIFAR10LessonRunsOnTwoThousandImages() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"],
              FileManager.default.fileExists(atPath: root + "/cifar-10-batches-bin/data_batch_1.bin") else {
            throw MissingTool.error("CNNB_DATA does not hold cifar-10-batches-bin")
        }
        let run = try runNotebook("cifar10.cnnb", environment: ["CNNB_DATA": root, "CNNB_LIMIT": "2000", "CNNB_EPOCHS": "1"])
        let text = run.text

        // Layer definitions of the first cells.
        XCTAssertTrue(text.contains("output shape:  (None, 11, 11, 64)\nparameters:    1,792\nmultiply-adds: 209,088"), text)
        XCTAssertTrue(text.contains("output shape:  (None, 15, 15, 16)\nparameters:    1,040"), text)

        // Shapes of the limited data: 2,000 training and 400 test images; labels in a column, as Keras has them.
        XCTAssertTrue(text.contains("((2000, 32, 32, 3), (2000, 1))\n((400, 32, 32, 3), (400, 1))"), text)
        // load says where the files came from, and that this copy is not the official images.
        XCTAssertTrue(text.contains("cifar10: 2000 training and 400 test images from \(root)/cifar-10-batches-bin; data_batch_1.bin, "), text)
        XCTAssertTrue(text.contains("do not match the published checksums (a re-encoded, partial or repackaged copy"), text)

        // The first training image's values: its first pixel read straight from the file
        // (a label byte, then 1,024 red, 1,024 green and 1,024 blue bytes), divided by 255.
        let batch = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/cifar-10-batches-bin/data_batch_1.bin")))
        let firstImage = run.outputs(of: "data.train[0]").compactMap(\.plainText).first ?? ""
        XCTAssertTrue(firstImage.hasPrefix("array([[["), String(firstImage.prefix(30)))
        XCTAssertTrue(firstImage.hasSuffix("dtype=float32)"), String(firstImage.suffix(30)))
        let firstNumbers = firstImage.dropFirst("array([[[".count).prefix(while: { $0 != "]" })
            .split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(firstNumbers, [batch[1], batch[1 + 1024], batch[1 + 2048]].map { Float(Double($0) / 255) })

        // The test labels: the first 400 label bytes of test_batch.bin (records of 3,073 bytes).
        let testBatch = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/cifar-10-batches-bin/test_batch.bin")))
        let labelsText = run.outputs(of: "data.test.labels").compactMap(\.plainText).last ?? ""
        XCTAssertTrue(labelsText.hasPrefix("array([[3],\n       [8],"), String(labelsText.prefix(40)))
        XCTAssertTrue(labelsText.hasSuffix("]], dtype=uint8)"), String(labelsText.suffix(40)))
        let printed = labelsText.dropFirst("array(".count).split(whereSeparator: { !$0.isNumber }).dropLast().compactMap { Int($0) }
        XCTAssertEqual(printed, (0..<400).map { Int(testBatch[$0 * 3073]) })

        // The seed's summary numbers.
        let rows = summaryRows(text)
        let seedRows = Array(rows.prefix(9))
        XCTAssertEqual(seedRows.map { $0[1] }, ["(None, 32, 32, 3)", "(None, 30, 30, 32)", "(None, 15, 15, 32)", "(None, 13, 13, 64)",
                                               "(None, 6, 6, 64)", "(None, 4, 4, 64)", "(None, 1024)", "(None, 64)", "(None, 10)"])
        XCTAssertEqual(seedRows.map { $0[2] }, ["0", "896", "0", "18,496", "0", "36,928", "0", "65,600", "650"])
        XCTAssertEqual(seedRows.map { $0[0] }, ["input_layer (InputLayer)", "conv2d (Conv2D)", "max_pooling2d (MaxPooling2D)",
                                               "conv2d_1 (Conv2D)", "max_pooling2d_1 (MaxPooling2D)", "conv2d_2 (Conv2D)",
                                               "flatten (Flatten)", "dense (Dense)", "dense_1 (Dense)"])
        XCTAssertTrue(text.contains("Total params: 122,570 (478.79 KB)"), text)
        XCTAssertTrue(text.contains("conv2d.kernel  (3, 3, 3, 32)\nconv2d.bias  (32,)"), text)

        // One epoch (CNNB_EPOCHS) of 63 batches, validated; evaluate agrees with the validation.
        guard case .history(let history) = try XCTUnwrap(run.session["history"]) else { return XCTFail("no history") }
        XCTAssertEqual(history.epochs, 1)
        XCTAssertEqual(history.keys, ["accuracy", "loss", "val_accuracy", "val_loss"])
        let progress = run.outputs.compactMap { if case .progress(let p) = $0 { return p } else { return nil } }.joined()
        XCTAssertTrue(progress.contains("63/63 ━━━━━━━━━━━━━━━━━━━━ "), progress)
        XCTAssertTrue(text.contains("accuracy: " + String(format: "%.2f%%", history.valAccuracy[0] * 100)), text)

        // Figures: samples, graph, two charts, four filter grids, image 7, three feature-map grids.
        XCTAssertEqual(run.figures.count, 12)
        for (figure, path) in run.figures { try assertDecodesAsPNG(figure, at: path) }
        let sample = try XCTUnwrap(imageGrid(of: run.figures[0].figure))
        XCTAssertEqual([sample.rows, sample.columns, sample.images.count], [5, 5, 25])
        let classes = try String(contentsOfFile: root + "/cifar-10-batches-bin/batches.meta.txt", encoding: .utf8)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(sample.images.map(\.caption), (0..<25).map { classes[Int(batch[$0 * 3073])] })
        guard case .modelGraph(let graph) = run.figures[1].figure.content else { return XCTFail("no graph") }
        XCTAssertEqual(graph.nodes.count, 9)
        for (index, names) in [(2, ["accuracy", "val_accuracy"]), (3, ["loss", "val_loss"])] {
            guard case .lineChart(let chart) = run.figures[index].figure.content else { return XCTFail("no chart \(index)") }
            XCTAssertEqual(chart.series.map(\.name), names)
        }
        let filterGrids = run.figures[4...7].compactMap { imageGrid(of: $0.figure) }
        XCTAssertEqual(filterGrids.map { [$0.rows, $0.columns, $0.images.count] }, [[8, 4, 32], [8, 4, 32], [8, 8, 64], [8, 8, 64]])
        XCTAssertEqual(filterGrids.map { $0.images[0].channels }, [1, 3, 1, 1])
        let seven = try XCTUnwrap(imageGrid(of: run.figures[8].figure))
        XCTAssertEqual(seven.images.map(\.caption), [classes[Int(batch[7 * 3073])]])
        let maps = run.figures[9...11].compactMap { imageGrid(of: $0.figure) }
        XCTAssertEqual(maps.map(\.images.count), [32, 64, 64])
        XCTAssertEqual(maps.map { $0.images[0].width }, [30, 13, 4])
    }

    /// The numbers of the last matrix printed after an `output` line of an `apply` text.
    func outputNumbers(_ text: String) -> [Float] {
        guard let range = text.range(of: "\noutput ", options: .backwards) else { return [] }
        let matrix = text[range.upperBound...].drop { $0 != "\n" }
        return matrix.split(whereSeparator: { !($0.isNumber || $0 == "-" || $0 == ".") }).compactMap { Float($0) }
    }

    /// Cross-correlation of a matrix with a kernel, zero padding `pad` cells before each axis.
    func correlate(_ x: [[Float]], _ k: [[Float]], stride: Int, outSize: Int, pad: Int) -> [Float] {
        var out: [Float] = []
        for i in 0..<outSize {
            for j in 0..<outSize {
                var sum: Float = 0
                for a in 0..<k.count {
                    for b in 0..<k[0].count {
                        let (r, c) = (i * stride + a - pad, j * stride + b - pad)
                        if r >= 0 && c >= 0 && r < x.count && c < x[0].count { sum += x[r][c] * k[a][b] }
                    }
                }
                out.append(sum)
            }
        }
        return out
    }

    func testConceptsNotebookRunsWhole() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"],
              FileManager.default.fileExists(atPath: root + "/cifar-10-batches-bin/data_batch_1.bin") else {
            throw MissingTool.error("CNNB_DATA does not hold cifar-10-batches-bin")
        }
        let run = try runNotebook("concepts.cnnb", environment: ["CNNB_DATA": root, "CNNB_LIMIT": "100"])
        let x: [[Float]] = [[1, 2, 0, 1, 3], [0, 1, 2, 3, 1], [1, 0, 1, 2, 2], [2, 1, 0, 1, 0], [1, 3, 1, 0, 2]]
        let k: [[Float]] = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
        let texts = run.results.flatMap(\.outputs).compactMap(\.plainText)
        let applied = texts.filter { $0.hasPrefix("kernel 3x3") && $0.contains("input 5x5x1") }
        XCTAssertEqual(applied.count, 3)
        // By hand: valid (3x3), stride 2 (2x2), same (5x5, one zero around).
        XCTAssertEqual(outputNumbers(applied[0]), correlate(x, k, stride: 1, outSize: 3, pad: 0))
        XCTAssertEqual(outputNumbers(applied[0]).first, -1)  // the notebook's worked example
        XCTAssertEqual(outputNumbers(applied[1]), correlate(x, k, stride: 2, outSize: 2, pad: 0))
        XCTAssertEqual(outputNumbers(applied[2]), correlate(x, k, stride: 1, outSize: 5, pad: 1))
        // Pooling on the written matrix, 1x1 convolution, receptive fields.
        XCTAssertTrue(run.text.contains("output: (None, 15, 15, 32)"), run.text)
        XCTAssertTrue(run.text.contains("parameters:    1,040"), run.text)
        let receptive = run.text.split(separator: "\n").filter { $0.hasPrefix("5 ") && $0.contains("conv2d_2") }
        XCTAssertEqual(receptive.count, 1)
        XCTAssertTrue(receptive.first?.hasSuffix("18x18") == true, "\(receptive)")
        // The Sobel kernel on image 7: the image and its edges side by side, same size.
        XCTAssertEqual(run.figures.count, 1)
        let (figure, path) = try XCTUnwrap(run.figures.first)
        guard case .panels(let panels) = figure.content else { return XCTFail("not side by side") }
        let sizes = panels.compactMap { imageGrid(of: $0)?.images.first }.map { [$0.width, $0.height] }
        XCTAssertEqual(sizes, [[32, 32], [32, 32]])
        try assertDecodesAsPNG(figure, at: path)
    }

    /// The own-images lesson: 2,000 CIFAR-10 pictures written as PNG folders, read back as
    /// Keras reads a folder, cats against dogs with augmentation layers that act in training.
    func testOwnImagesLessonRunsOnTwoThousandPictures() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"],
              FileManager.default.fileExists(atPath: root + "/cifar-10-batches-bin/data_batch_1.bin") else {
            throw MissingTool.error("CNNB_DATA does not hold cifar-10-batches-bin")
        }
        let run = try runNotebook("own-images.cnnb", environment: ["CNNB_DATA": root, "CNNB_LIMIT": "2000", "CNNB_EPOCHS": "1"])
        let text = run.text
        XCTAssertTrue(text.contains("wrote 2000 PNG images in 10 class folders under "), text)
        XCTAssertTrue(text.contains("Found 2000 files belonging to 10 classes.\nUsing 1600 files for training, 400 for validation."), text)
        XCTAssertTrue(text.contains("['cat', 'dog']"), text)
        // apply shows one rotation of the first picture, the same size beside it.
        XCTAssertTrue(text.contains("RandomRotation(factor=(-0.1, 0.1), fill_mode='reflect'"), text)
        let rotation = try XCTUnwrap(run.outputs(of: "apply randomrotation").compactMap { output -> Figure? in
            if case .figure(let figure, _) = output { return figure } else { return nil }
        }.first)
        guard case .panels(let panels) = rotation.content else { return XCTFail("not side by side") }
        XCTAssertEqual(panels.compactMap { imageGrid(of: $0)?.images.first }.map { [$0.width, $0.height] }, [[32, 32], [32, 32]])
        // The augmentation is part of the model, before the convolutions; training ran an epoch.
        guard case .model(let pet)? = run.session["pet"], case .history(let history)? = run.session["history"] else {
            return XCTFail("no model or history")
        }
        XCTAssertEqual(pet.layers.prefix(5).map(\.typeName), ["InputLayer", "RandomFlip", "RandomRotation", "RandomZoom", "Conv2D"])
        XCTAssertEqual(history.epochs, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.session.outputDirectory + "/pet.keras"))
        for (figure, path) in run.figures { try assertDecodesAsPNG(figure, at: path) }
    }

    func testFashionMNISTNotebookRunsOnAThousandImages() throws {
        let environment = ["CNNB_LIMIT": "1000", "CNNB_EPOCHS": "1"]
        do {
            _ = try DataLoader.load(.fashionMNIST, options: DataOptions(environment: environment, allowDownload: false))
        } catch {
            throw MissingTool.error("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let run = try runNotebook("fashion-mnist.cnnb", environment: environment)
        let rows = summaryRows(run.text)
        XCTAssertEqual(Array(rows.prefix(9)).map { $0[2] }, ["0", "320", "0", "18,496", "0", "36,928", "0", "36,928", "650"])
        XCTAssertTrue(run.text.contains("Total params: 93,322"), run.text)
        XCTAssertTrue(run.text.contains("(1000, 28, 28, 1)"), run.text)
        XCTAssertEqual(run.figures.count, 10)
        for (figure, path) in run.figures { try assertDecodesAsPNG(figure, at: path) }
        let maps = run.figures.suffix(3).compactMap { imageGrid(of: $0.figure) }
        XCTAssertEqual(maps.map(\.images.count), [32, 64, 64])
        XCTAssertEqual(maps.map { $0.images[0].width }, [26, 11, 3])
    }

    /// The ResNet lesson, its blocks batch-normalised as in ResNet v1, on 2,000 CIFAR-10 images.
    func testResNetNotebookRunsWithBatchNormalisationOnTwoThousandImages() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"],
              FileManager.default.fileExists(atPath: root + "/cifar-10-batches-bin/data_batch_1.bin") else {
            throw MissingTool.error("CNNB_DATA does not hold cifar-10-batches-bin")
        }
        let run = try runNotebook("resnet.cnnb", environment: ["CNNB_DATA": root, "CNNB_LIMIT": "2000", "CNNB_EPOCHS": "1"])
        // Keras 3.15.1 (jax) on the same graph: conv → BatchNormalization → relu, add, relu.
        XCTAssertTrue(run.text.contains(" Total params: 310,666 (1.19 MB)\n Trainable params: 309,322 (1.18 MB)\n Non-trainable params: 1,344 (5.25 KB)"),
                      run.text)
        guard case .model(let resnet) = try XCTUnwrap(run.session["resnet"]),
              case .history(let history) = try XCTUnwrap(run.session["history"]) else { return XCTFail("no model or history") }
        XCTAssertEqual(resnet.layers.filter { $0.typeName == "BatchNormalization" }.count, 9)
        XCTAssertEqual(history.epochs, 1)
        XCTAssertTrue(history.loss[0].isFinite)
        // fit moved every moving mean away from its start at zero.
        for layer in resnet.layers where layer.typeName == "BatchNormalization" {
            let mean = try XCTUnwrap(layer.parameters.first { $0.name == "moving_mean" })
            XCTAssertTrue(mean.value.scalars.contains { $0 != 0 }, layer.name)
        }
        XCTAssertEqual(run.figures.count, 4)
    }

    /// The two-output lesson on 2,000 MNIST images: Keras's history keys, and evaluate's
    /// numbers equal to Keras 3's evaluate of the same weights on the same 400 test images.
    func testTwoOutputsNotebookTrainsOnAnMNISTSliceAsKerasMeasuresIt() throws {
        guard let root = ProcessInfo.processInfo.environment["CNNB_DATA"],
              FileManager.default.fileExists(atPath: root + "/mnist/t10k-labels-idx1-ubyte.gz") else {
            throw MissingTool.error("CNNB_DATA does not hold mnist")
        }
        let run = try runNotebook("two-outputs.cnnb", environment: ["CNNB_DATA": root, "CNNB_LIMIT": "2000", "CNNB_EPOCHS": "1"])
        XCTAssertTrue(run.text.contains("Total params: 13,611 (53.17 KB)"), run.text)
        guard case .history(let history) = try XCTUnwrap(run.session["history"]),
              case .list(let items) = try XCTUnwrap(run.session["scores"]) else { return XCTFail("no history or scores") }
        XCTAssertEqual(history.keys, ["digit_accuracy", "digit_loss", "loss", "odd_accuracy", "odd_loss",
                                      "val_digit_accuracy", "val_digit_loss", "val_loss", "val_odd_accuracy", "val_odd_loss"])
        XCTAssertEqual(history.epochs, 1)
        XCTAssertEqual(history.loss[0], history["digit_loss"]![0] + history["odd_loss"]![0], accuracy: 1e-9)
        XCTAssertEqual(run.figures.count, 2)
        let scores = items.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
        XCTAssertEqual(scores.count, 5)

        try Python.require(["keras", "numpy"])
        run.session.succeed("save two \"two.keras\"")
        let folder = run.session.outputDirectory
        let script = """
            import gzip, json, os, sys
            import numpy as np, keras
            folder, mnist = sys.argv[1], sys.argv[2]
            def idx(name):
                with gzip.open(os.path.join(mnist, name)) as f: data = f.read()
                dims = data[3]
                shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
                return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
            x = idx("t10k-images-idx3-ubyte.gz")[:400].astype("float32")[..., None] / 255
            y = idx("t10k-labels-idx1-ubyte.gz")[:400]
            m = keras.saving.load_model(f"{folder}/two.keras")
            m.compile(optimizer="adam", loss={"digit": "sparse_categorical_crossentropy", "odd": "binary_crossentropy"},
                      metrics={"digit": "accuracy", "odd": "accuracy"})
            print(json.dumps([keras.__version__, m.evaluate(x, {"digit": y, "odd": y % 2}, verbose=0)]))
            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(folder)/check.py"))
        let result = try XCTUnwrap(Python.run(["\(folder)/check.py", folder, root + "/mnist"]))
        XCTAssertEqual(result.status, 0, result.stderr)
        let answer = try JSONSerialization.jsonObject(with: Data((result.stdout.split(separator: "\n").last ?? "").utf8)) as? [Any]
        XCTAssertEqual(answer?.first as? String, "3.15.1")
        // [loss, digit_loss, odd_loss, digit_accuracy, odd_accuracy], in Keras's order.
        let keras = try XCTUnwrap(answer?.last as? [Double])
        XCTAssertEqual(keras.count, 5)
        for (mine, theirs) in zip(scores, keras) { XCTAssertEqual(mine, theirs, accuracy: 1e-5) }
    }

    func testRunnerStopsAtAFailingCellUnlessToldToKeepGoing() throws {
        let source = """
            %% md
            # Three cells
            %%
            x = 5
            %%
            y = x / 0
            %%
            z = x + 1
            """
        let runner = NotebookRunner(source: source, fileName: "three.cnnb")
        let stopped = runner.run(in: try SessionHarness.makeSession(), keepGoing: false)
        XCTAssertEqual(stopped.map(\.ran), [true, true, true, false])
        XCTAssertNil(stopped[1].error)
        let error = try XCTUnwrap(stopped[2].error)
        // The place is counted in the whole file.
        XCTAssertEqual(error, "three.cnnb:6:5: error: division by zero\ny = x / 0\n    ^~~~~")

        let session = try SessionHarness.makeSession()
        var errors: [String] = []
        let all = runner.run(in: session, keepGoing: true, onError: { errors.append($0) })
        XCTAssertEqual(all.map(\.ran), [true, true, true, true])
        XCTAssertEqual(errors, [error])
        XCTAssertEqual(session.definitionOrder, ["x", "z"])
        XCTAssertEqual(session.succeed("z").text, "6")

        // A cell that does not parse is reported and the others still run with keepGoing.
        let broken = NotebookRunner(source: "%%\na = 1\n%%\nlayer conv 8 3x\n%%\nb = a + 1\n", fileName: "broken.cnnb")
        XCTAssertFalse(broken.syntaxErrors.isEmpty)
        XCTAssertEqual(Set(broken.syntaxErrors.map(\.span.line)), [4])
        let brokenSession = try SessionHarness.makeSession()
        let results = broken.run(in: brokenSession, keepGoing: true)
        XCTAssertEqual(results.map { $0.error != nil }, [false, true, false])
        XCTAssertEqual(brokenSession.succeed("b").text, "2")
    }
}
