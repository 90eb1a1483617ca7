import ArgumentParser
import Engine
import Foundation
import Interop

// cnnb-bench: trains the seed's CIFAR-10 model and prints one key=value per line on stdout
// (progress goes to stderr). See README.md.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnnb-bench",
        abstract: "Train the seed's CIFAR-10 model and print speed, memory and accuracy as key=value lines.",
        discussion: "Progress goes to standard error. CNNB_DATA names the datasets folder when --data is not given.")
    @OptionGroup var options: Options

    func run() throws {
        do {
            try runBench(options)
        } catch {
            log("cnnb-bench: \(error)")
            throw ExitCode(1)
        }
    }
}

func runBench(_ options: Options) throws {
    if !options.profile {
        for (key, value) in measureCIFARLoad(dataDirectory: options.dataDirectory) { print("\(key)=\(value)") }
    }
    let data = try BenchData.load(options)
    log("data: \(data.origin), \(data.train.count) training images, \(options.epochs) epochs, batch \(options.batchSize)")
    let model = try makeSeedModel(seed: options.seed)
    let train = data.train
    if options.profile {
        try profileLayers(model, on: train, batchSize: options.batchSize, batches: 150)
        try profileInference(model, on: data.test ?? train, batchSize: options.batchSize)
        // The machine's GEMM rate beside the profile, from the same run.
        print(String(format: "sgemm_gflops=%.1f", measureSgemmGflops()))
        print("vector_loops=\(VectorLoops.name)")
        return
    }
    // The machine's GEMM rate before and after the timed runs, the better of the two: a slow
    // moment of a shared machine during one measurement would flatter the fraction below.
    let sgemmBefore = measureSgemmGflops()
    let training = try measureTraining(model, on: train, epochs: options.epochs, batchSize: options.batchSize, seed: options.seed)
    let inferenceSource = data.test ?? train
    if let path = options.exportONNX {
        try ONNXExport.write(model, to: path)
        log("wrote the trained model to \(path)")
    }
    let inference = try measureInference(model, on: inferenceSource, batchSize: options.batchSize,
                                         repeats: options.inferencePasses)
    let testAccuracy = try data.test.map { try measureTestAccuracy(model, on: $0, batchSize: options.batchSize) }
    let sgemm = max(sgemmBefore, measureSgemmGflops())

    print(String(format: "train_img_per_s=%.0f", training.imagesPerSecond))
    print(String(format: "infer_img_per_s=%.0f", inference.perSecond))
    print(String(format: "peak_rss_mb=%.0f", peakResidentMegabytes()))
    print(String(format: "sgemm_gflops=%.1f", sgemm))
    let trainGflops = training.imagesPerSecond * trainingFlops(of: model) / 1e9
    print(String(format: "train_gflops=%.1f", trainGflops))
    print(String(format: "train_fraction_of_sgemm=%.3f", trainGflops / sgemm))
    print("blas_kernel=\(BLASKernel.name)")
    print("vector_loops=\(VectorLoops.name)")
    print("threads=\(EngineThreads.count)")
    // Per second of processor time (all threads): what the run costs whatever else the machine
    // is doing; times the core count, the rate an otherwise idle machine would allow at best.
    print(String(format: "train_img_per_cpu_s=%.0f", training.imagesPerProcessorSecond))
    print(String(format: "infer_img_per_cpu_s=%.0f", inference.perProcessorSecond))
    if let testAccuracy { print(String(format: "test_acc=%.4f", testAccuracy)) }
    if let binary = siblingCnnbBinary() {
        for (key, value) in measureReplStartup(binary: binary) { print("\(key)=\(value)") }
    }
}

Bench.main()
