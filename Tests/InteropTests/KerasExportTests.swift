import Basics
@testable import Interop
import Engine
import Foundation
import TestSupport
import XCTest

final class KerasExportTests: XCTestCase {
    func testScriptRebuildsLayersWithTheirNamesAndLoadsTheNpzBesideIt() throws {
        let folder = try temporaryFolder("keras-script")
        let model = try seedModel()
        let weights = try KerasExport.export(model, to: folder + "/cnn.py")
        XCTAssertEqual(weights, folder + "/cnn.npz")
        XCTAssertEqual(try Npz.read(weights).map(\.name), KerasWeights.arrays(of: model).map(\.name))
        let script = try String(contentsOfFile: folder + "/cnn.py", encoding: .utf8)
        for line in [
            "    inputs = keras.Input(shape=(32, 32, 3), name='input_layer')",
            "    x1 = layers.Conv2D(filters=32, kernel_size=(3, 3), strides=(1, 1), padding='valid', activation='relu', use_bias=True, name='conv2d')(inputs)",
            "    x2 = layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding='valid', name='max_pooling2d')(x1)",
            "    x6 = layers.Flatten(name='flatten')(x5)",
            "    x8 = layers.Dense(units=10, activation='softmax', use_bias=True, name='dense_1')(x7)",
            "    return keras.Model(inputs=inputs, outputs=x8, name='functional')",
            "    'dense_1': ['dense_1/kernel', 'dense_1/bias'],",
            "WEIGHTS_FILE = 'cnn.npz'",
        ] {
            XCTAssertTrue(script.contains(line + "\n"), "missing: \(line)")
        }
        let multi = try KerasExport.script(for: try model3D(), weightsFile: "m.npz")
        XCTAssertTrue(multi.contains("layers.Conv3D(filters=5, kernel_size=(2, 3, 3), strides=(1, 2, 1), padding='same', activation='linear'"))
        XCTAssertTrue(multi.contains("layers.Activation(activation='softmax', name='activation')"))
        XCTAssertTrue(multi.contains("layers.GlobalAveragePooling3D(name='global_average_pooling3d')(x3)"))
        XCTAssertTrue(multi.contains("outputs=[x6, x7]"))
        XCTAssertTrue(multi.contains("OUTPUT_NAMES = ['dense', 'global_average_pooling3d']"))
        XCTAssertEqual(PythonValue.quoted("a\"b\\c"), "'a\"b\\\\c'")
        XCTAssertEqual(PythonValue.quoted("it's"), "\"it's\"")
        XCTAssertEqual(PythonValue.quoted("'\"\n\u{1}"), "'\\'\"\\n\\x01'", "as Python's repr")
    }
}
