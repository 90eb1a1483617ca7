// cnnb-gallery FOLDER: writes the seed lesson's kinds of figure (sample grid, training curves,
// filters, feature maps, model graphs, panels) and a short report into FOLDER, for a person to
// look at after changing Render. `swift run cnnb-gallery out/gallery`.
import Foundation
import Render

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let folder = arguments.first, !folder.hasPrefix("-") else {
    FileHandle.standardError.write(Data("usage: cnnb-gallery FOLDER\n".utf8))
    exit(2)
}

func writeGallery() throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    // CIFAR-10 sample grid: real images when the data is there, a test pattern otherwise.
    var images: [GridImage] = []
    let data = ProcessInfo.processInfo.environment["CNNB_DATA"] ?? "../shared/datasets"
    if let bytes = FileManager.default.contents(atPath: data + "/cifar-10-exact-subset/data_batch_1.bin") {
        let record = [UInt8](bytes)
        for i in 0..<25 {
            let base = i * 3073
            var hwc = [UInt8](repeating: 0, count: 3072)
            for p in 0..<1024 {
                for c in 0..<3 { hwc[3 * p + c] = record[base + 1 + c * 1024 + p] }
            }
            images.append(try GridImage(width: 32, height: 32, channels: 3, bytes: hwc, caption: names[Int(record[base])]))
        }
    } else {
        images = try (0..<25).map { try GridImage.pattern(width: 32, height: 32, seed: $0, caption: names[$0 % 10]) }
    }
    let grid = Figure.imageGrid(try ImageGrid(images: images, rows: 5, columns: 5))
    try grid.writePNG(to: folder + "/cifar-grid.png")
    try grid.writeSVG(to: folder + "/cifar-grid.svg")

    let chart = try LineChart(series: [
        ChartSeries(name: "accuracy", y: [0.4512, 0.5911, 0.6484, 0.6857, 0.7131]),
        ChartSeries(name: "val_accuracy", y: [0.5503, 0.6172, 0.6398, 0.6679, 0.6984]),
    ], xLabel: "Epoch", yLabel: "accuracy", legendCorner: .lowerRight)
    try Figure.lineChart(chart).writePNG(to: folder + "/accuracy.png")
    try Figure.lineChart(chart).writeSVG(to: folder + "/accuracy.svg")

    var random = SystemRandomNumberGenerator()
    let filters = try (0..<32).map { _ in
        try GridImage(width: 3, height: 3, channels: 1, pixels: (0..<9).map { _ in Float.random(in: -0.3...0.3, using: &random) })
    }
    let filterGrid = Figure.imageGrid(try ImageGrid(images: filters, rows: 8, columns: 4, normalisation: .perTile), title: "conv2d filters, channel 0")
    try filterGrid.writePNG(to: folder + "/filters.png")

    let maps = try (0..<64).map { k in
        try GridImage(width: 13, height: 13, channels: 1, pixels: (0..<169).map { i in Float(sin(Double(i * (k + 1)) * 0.05)) })
    }
    let mapGrid = Figure.imageGrid(try ImageGrid(images: maps, rows: 8, columns: 8, colourMap: .viridis, normalisation: .shared, colourBar: true), title: "conv2d_1 feature maps")
    try mapGrid.writePNG(to: folder + "/features.png")

    let graph = try ModelGraph.seedLesson()
    try Figure.modelGraph(graph).writePNG(to: folder + "/model.png")
    let branched = try ModelGraph(nodes: [
        GraphNode(name: "input_layer", type: "InputLayer", inputShape: "(None, 32, 32, 3)", outputShape: "(None, 32, 32, 3)", parents: []),
        GraphNode(name: "conv2d", type: "Conv2D", inputShape: "(None, 32, 32, 3)", outputShape: "(None, 30, 30, 32)", parents: [0]),
        GraphNode(name: "max_pooling2d", type: "MaxPooling2D", inputShape: "(None, 30, 30, 32)", outputShape: "(None, 15, 15, 32)", parents: [1]),
        GraphNode(name: "conv2d_1", type: "Conv2D", inputShape: "(None, 15, 15, 32)", outputShape: "(None, 13, 13, 64)", parents: [2]),
    ])
    let panels = try Figure.panels([Figure.modelGraph(branched), Figure.lineChart(chart)], title: "Panels")
    try panels.writePNG(to: folder + "/panels.png")

    // A report of a short run holding some of the figures above.
    let reportFolder = URL(fileURLWithPath: folder).appendingPathComponent("report")
    let sample = try NotebookReport.saveFigure(grid, in: reportFolder, relativePath: NotebookReport.figurePath(cellNumber: 2, stem: "sample"))
    let curves = try NotebookReport.saveFigure(.lineChart(chart), in: reportFolder, relativePath: NotebookReport.figurePath(cellNumber: 3, stem: "accuracy"))
    let progress = ProgressLine(target: 1563)
    let epoch = ProgressLine.epochHeader(epoch: 1, of: 5) + "\n"
        + progress.finalLine(elapsedSeconds: 12, secondsPerStep: 0.0078, metrics: [("loss", 1.5123), ("accuracy", 0.4512), ("val_loss", 1.3012), ("val_accuracy", 0.5321)])
    let report = NotebookReport(title: "CIFAR-10 gallery", cells: [
        .markdown("# Convolutional networks\n\nSliding a filter over the input gives a **feature map**; `max_pooling2d` halves it.\n\n* **valid**: no padding\n* **same**: zeros around the input"),
        .code("data = load cifar10\nshow data.train[0..<25] grid 5x5 labels", outputs: [.text("train: (50000, 32, 32, 3)  test: (10000, 32, 32, 3)"), sample], executionCount: 1),
        .code("history = fit cnn on data.train epochs 5 validate data.test\nplot history accuracy val_accuracy", outputs: [.text(epoch), curves], executionCount: 2),
        .code("layer conw 64 3x3", outputs: [.error("cifar.cnnb:9:7: error: unknown layer kind 'conw'\n    9 | layer conw 64 3x3\n      |       ^~~~ did you mean 'conv'?")], executionCount: 3),
    ])
    try report.write(to: reportFolder, notebookName: "gallery")
}

do {
    try writeGallery()
    print("wrote the gallery to \(folder)")
} catch {
    FileHandle.standardError.write(Data("cnnb-gallery: \(error)\n".utf8))
    exit(1)
}
