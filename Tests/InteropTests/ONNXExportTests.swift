@testable import Interop
import Engine
import Foundation
import SwiftProtobuf
import TestSupport
import XCTest

final class ONNXExportTests: XCTestCase {
    func testSeedModelGraphIsChannelsLastAtTheEdgesAndKerasNamed() throws {
        let model = try seedModel(seed: 5)
        let bytes = try ONNXExport.encode(model, producerVersion: "9.9")
        let proto = try Onnx_ModelProto(serializedBytes: bytes)
        XCTAssertEqual(proto.irVersion, 7)
        XCTAssertEqual(proto.opsetImport.map(\.version), [13])
        XCTAssertEqual(proto.producerName, "cnnb")
        XCTAssertEqual(proto.producerVersion, "9.9")
        let graph = proto.graph
        XCTAssertEqual(graph.name, "functional")
        XCTAssertEqual(graph.node.map(\.opType), ["Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool",
                                                  "Conv", "Relu", "Transpose", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
        XCTAssertEqual(graph.input.map(\.name), ["input_layer"])
        XCTAssertEqual(graph.output.map(\.name), ["dense_1"])
        func dims(_ info: Onnx_ValueInfoProto) -> [String] {
            info.type.tensorType.shape.dim.map { dim -> String in
                switch dim.value {
                case .dimParam(let name)?: return name
                case .dimValue(let size)?: return String(size)
                case nil: return "?"
                }
            }
        }
        XCTAssertEqual(dims(graph.input[0]), ["batch", "32", "32", "3"])
        XCTAssertEqual(dims(graph.output[0]), ["batch", "10"])
        XCTAssertEqual(graph.node[0].attribute.first?.ints, [0, 3, 1, 2], "NHWC to NCHW")
        XCTAssertEqual(graph.node[9].attribute.first?.ints, [0, 2, 3, 1], "back to NHWC before Flatten")
        XCTAssertEqual(graph.node[14].attribute.first { $0.name == "axis" }?.i, -1)
        XCTAssertEqual(graph.node[14].output, ["dense_1"], "the output tensor takes the layer's name")
        XCTAssertEqual(graph.node[13].output, ["dense_1/linear"])
        XCTAssertEqual(graph.node[14].input, ["dense_1/linear"])
        XCTAssertEqual(Set(graph.node.flatMap(\.output)).count, graph.node.count, "every tensor has its own name")

        XCTAssertEqual(graph.initializer.map(\.name), KerasWeights.arrays(of: model).map(\.name))
        XCTAssertEqual(graph.initializer.map(\.dims), [[32, 3, 3, 3], [32], [64, 32, 3, 3], [64], [64, 64, 3, 3], [64],
                                                       [1024, 64], [64], [64, 10], [10]])
        // Kernel element (kh 1, kw 2, in 0, out 5) lands at ONNX (out 5, in 0, kh 1, kw 2).
        let kernel = try model.weights(ofLayer: 1)[0]
        let raw = graph.initializer[0].rawData
        let at = ((5 * 3 + 0) * 3 + 1) * 3 + 2
        let bits = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * at, as: UInt32.self) }
        XCTAssertEqual(Float(bitPattern: UInt32(littleEndian: bits)), kernel[1, 2, 0, 5])
        XCTAssertEqual(raw.count, 3 * 3 * 3 * 32 * 4)
    }

    func testSamePaddingPutsTheOddPadAfterAndPoolsAverageRealElements() throws {
        let model = try model1D()
        let graph = try Onnx_ModelProto(serializedBytes: ONNXExport.encode(model)).graph
        func attribute(_ op: String, _ name: String) -> Onnx_AttributeProto? {
            graph.node.first { $0.opType == op }?.attribute.first { $0.name == name }
        }
        // Width 40, kernel 5, stride 2: 20 outputs need 19·2 + 5 − 40 = 3 pads, 1 before and 2 after.
        XCTAssertEqual(attribute("Conv", "pads")?.ints, [1, 2])
        XCTAssertEqual(attribute("Conv", "strides")?.ints, [2])
        // Width 20, pool 3, stride 2: 10 outputs need 9·2 + 3 − 20 = 1 pad, after.
        XCTAssertEqual(attribute("AveragePool", "pads")?.ints, [0, 1])
        XCTAssertEqual(attribute("AveragePool", "count_include_pad")?.i, 0)
        XCTAssertEqual(graph.output.map(\.name), ["dense_1", "average_pooling1d"])
        XCTAssertEqual(graph.node.last?.opType, "Transpose", "the pooled maps leave channels-last")
        XCTAssertEqual(graph.node.last?.attribute.first?.ints, [0, 2, 1])
        XCTAssertTrue(graph.node.contains { $0.opType == "Identity" && $0.name == "dropout" })
    }

    func testWritesAWholeFile() throws {
        let folder = try temporaryFolder("onnx-file")
        let model = try model3D()
        try ONNXExport.write(model, to: folder + "/m.onnx")
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/m.onnx"))
        let graph = try Onnx_ModelProto(serializedBytes: [UInt8](data)).graph
        XCTAssertEqual(graph.output.map(\.name), ["dense", "global_average_pooling3d"])
        XCTAssertEqual(graph.initializer.first?.dims, [4, 2, 3, 3, 3])
        XCTAssertThrowsError(try ONNXExport.write(model, to: folder + "/missing/m.onnx")) {
            XCTAssertEqual(($0 as? InteropError)?.hint, "check that the folder exists and is writable")
        }
    }
}
