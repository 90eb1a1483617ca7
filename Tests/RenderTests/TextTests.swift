import Foundation
import Render
import XCTest

final class SummaryTableTests: XCTestCase {
    let seedRows = [
        SummaryRow(name: "input_layer", type: "InputLayer", outputShape: "(None, 32, 32, 3)", parameters: 0),
        SummaryRow(name: "conv2d", type: "Conv2D", outputShape: "(None, 30, 30, 32)", parameters: 896),
        SummaryRow(name: "max_pooling2d", type: "MaxPooling2D", outputShape: "(None, 15, 15, 32)", parameters: 0),
        SummaryRow(name: "conv2d_1", type: "Conv2D", outputShape: "(None, 13, 13, 64)", parameters: 18_496),
        SummaryRow(name: "max_pooling2d_1", type: "MaxPooling2D", outputShape: "(None, 6, 6, 64)", parameters: 0),
        SummaryRow(name: "conv2d_2", type: "Conv2D", outputShape: "(None, 4, 4, 64)", parameters: 36_928),
        SummaryRow(name: "flatten", type: "Flatten", outputShape: "(None, 1024)", parameters: 0),
        SummaryRow(name: "dense", type: "Dense", outputShape: "(None, 64)", parameters: 65_600),
        SummaryRow(name: "dense_1", type: "Dense", outputShape: "(None, 10)", parameters: 650),
    ]

    func testSeedModelSummaryMatchesKerasInANotebook() {
        let summary = ModelSummary(modelName: "functional", rows: seedRows, trainableParameters: 122_570, nonTrainableParameters: 0)
        XCTAssertEqual(summary.lineLength(terminalColumns: nil), 76)
        XCTAssertEqual(summary.render(), """
        Model: "functional"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
        │ input_layer (InputLayer)        │ (None, 32, 32, 3)      │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d (Conv2D)                 │ (None, 30, 30, 32)     │           896 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ max_pooling2d (MaxPooling2D)    │ (None, 15, 15, 32)     │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d_1 (Conv2D)               │ (None, 13, 13, 64)     │        18,496 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ max_pooling2d_1 (MaxPooling2D)  │ (None, 6, 6, 64)       │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ conv2d_2 (Conv2D)               │ (None, 4, 4, 64)       │        36,928 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ flatten (Flatten)               │ (None, 1024)           │             0 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dense (Dense)                   │ (None, 64)             │        65,600 │
        ├─────────────────────────────────┼────────────────────────┼───────────────┤
        │ dense_1 (Dense)                 │ (None, 10)             │           650 │
        └─────────────────────────────────┴────────────────────────┴───────────────┘
         Total params: 122,570 (478.79 KB)
         Trainable params: 122,570 (478.79 KB)
         Non-trainable params: 0 (0.00 B)
        """)
    }

    /// The residual + inception block: Keras 3.15's `summary()` at 108 columns, verbatim.
    func testGraphSummaryWithConnectionsMatchesKeras() {
        func row(_ name: String, _ type: String, _ shape: String, _ parameters: Int, _ connected: String) -> SummaryRow {
            SummaryRow(name: name, type: type, outputShape: shape, parameters: parameters, connectedTo: connected)
        }
        let summary = ModelSummary(modelName: "functional", rows: [
            row("input_layer", "InputLayer", "(None, 32, 32, 3)", 0, "-"),
            row("conv2d", "Conv2D", "(None, 32, 32, 16)", 448, "input_layer[0][0]"),
            row("conv2d_1", "Conv2D", "(None, 32, 32, 16)", 2320, "conv2d[0][0]"),
            row("conv2d_2", "Conv2D", "(None, 32, 32, 16)", 2320, "conv2d_1[0][0]"),
            row("add", "Add", "(None, 32, 32, 16)", 0, "conv2d[0][0], conv2d_2[0][0]"),
            row("activation", "Activation", "(None, 32, 32, 16)", 0, "add[0][0]"),
            row("max_pooling2d", "MaxPooling2D", "(None, 16, 16, 16)", 0, "activation[0][0]"),
            row("conv2d_3", "Conv2D", "(None, 16, 16, 8)", 136, "max_pooling2d[0][0]"),
            row("conv2d_4", "Conv2D", "(None, 16, 16, 8)", 1160, "max_pooling2d[0][0]"),
            row("concatenate", "Concatenate", "(None, 16, 16, 16)", 0, "conv2d_3[0][0], conv2d_4[0][0]"),
            row("global_average_pooling2d", "GlobalAveragePooling2D", "(None, 16)", 0, "concatenate[0][0]"),
            row("dense", "Dense", "(None, 10)", 170, "global_average_pooling2d[0][0]"),
        ], trainableParameters: 6554, nonTrainableParameters: 0)
        XCTAssertEqual(summary.lineLength(terminalColumns: 200), 108)
        XCTAssertEqual(summary.render(lineLength: 108), """
        Model: "functional"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
        │ input_layer (InputLayer)      │ (None, 32, 32, 3)         │               0 │ -                          │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ conv2d (Conv2D)               │ (None, 32, 32, 16)        │             448 │ input_layer[0][0]          │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ conv2d_1 (Conv2D)             │ (None, 32, 32, 16)        │           2,320 │ conv2d[0][0]               │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ conv2d_2 (Conv2D)             │ (None, 32, 32, 16)        │           2,320 │ conv2d_1[0][0]             │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ add (Add)                     │ (None, 32, 32, 16)        │               0 │ conv2d[0][0],              │
        │                               │                           │                 │ conv2d_2[0][0]             │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ activation (Activation)       │ (None, 32, 32, 16)        │               0 │ add[0][0]                  │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ max_pooling2d (MaxPooling2D)  │ (None, 16, 16, 16)        │               0 │ activation[0][0]           │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ conv2d_3 (Conv2D)             │ (None, 16, 16, 8)         │             136 │ max_pooling2d[0][0]        │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ conv2d_4 (Conv2D)             │ (None, 16, 16, 8)         │           1,160 │ max_pooling2d[0][0]        │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ concatenate (Concatenate)     │ (None, 16, 16, 16)        │               0 │ conv2d_3[0][0],            │
        │                               │                           │                 │ conv2d_4[0][0]             │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ global_average_pooling2d      │ (None, 16)                │               0 │ concatenate[0][0]          │
        │ (GlobalAveragePooling2D)      │                           │                 │                            │
        ├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
        │ dense (Dense)                 │ (None, 10)                │             170 │ global_average_pooling2d[… │
        └───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
         Total params: 6,554 (25.60 KB)
         Trainable params: 6,554 (25.60 KB)
         Non-trainable params: 0 (0.00 B)
        """)
    }

    func testWideTerminalAndWrappedCells() {
        let summary = ModelSummary(modelName: "sequential", rows: [
            SummaryRow(name: "conv2d", type: "Conv2D", outputShape: "(None, 30, 30, 32)", parameters: 896),
            SummaryRow(name: "a_really_long_layer_name_that_overflows_the_column", type: "Conv2D",
                       outputShape: "(None, 123456789, 123456789, 123456789, 5)", parameters: 1_234_567_890_123_456),
        ], trainableParameters: 896, nonTrainableParameters: 0, optimizerParameters: 1_794)
        XCTAssertEqual(summary.lineLength(terminalColumns: 200), 88)
        XCTAssertEqual(summary.render(lineLength: 88), """
        Model: "sequential"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
        │ conv2d (Conv2D)                      │ (None, 30, 30, 32)          │             896 │
        ├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
        │ a_really_long_layer_name_that_overf… │ (None, 123456789,           │ 1,234,567,890,… │
        │ (Conv2D)                             │ 123456789, 123456789, 5)    │                 │
        └──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
         Total params: 2,690 (10.51 KB)
         Trainable params: 896 (3.50 KB)
         Non-trainable params: 0 (0.00 B)
         Optimizer params: 1,794 (7.01 KB)
        """)
        // A narrow terminal wraps shapes at spaces, as rich does.
        let narrow = ModelSummary(modelName: "m", rows: Array(seedRows.prefix(3)), trainableParameters: 896, nonTrainableParameters: 0)
        XCTAssertEqual(narrow.render(lineLength: narrow.lineLength(terminalColumns: 64)), """
        Model: "m"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
        ┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
        │ input_layer (InputLayer) │ (None, 32, 32, 3) │         0 │
        ├──────────────────────────┼───────────────────┼───────────┤
        │ conv2d (Conv2D)          │ (None, 30, 30,    │       896 │
        │                          │ 32)               │           │
        ├──────────────────────────┼───────────────────┼───────────┤
        │ max_pooling2d            │ (None, 15, 15,    │         0 │
        │ (MaxPooling2D)           │ 32)               │           │
        └──────────────────────────┴───────────────────┴───────────┘
         Total params: 896 (3.50 KB)
         Trainable params: 896 (3.50 KB)
         Non-trainable params: 0 (0.00 B)
        """)
    }

    func testNumbersAndSizes() {
        XCTAssertEqual(ModelSummary.grouped(0), "0")
        XCTAssertEqual(ModelSummary.grouped(999), "999")
        XCTAssertEqual(ModelSummary.grouped(1000), "1,000")
        XCTAssertEqual(ModelSummary.grouped(-1_234_567), "-1,234,567")
        XCTAssertEqual(ModelSummary.memorySize(0), "0.00 B")
        XCTAssertEqual(ModelSummary.memorySize(1023), "1023.00 B")
        XCTAssertEqual(ModelSummary.memorySize(490_280), "478.79 KB")
        XCTAssertEqual(ModelSummary.memorySize(5 * 1024 * 1024), "5.00 MB")
    }
}

final class NumpyFormatTests: XCTestCase {
    // Expected texts are what NumPy's repr prints for the same arrays.
    func testSmallArrays() throws {
        XCTAssertEqual(try NumpyFormat.repr([0.5, 0.25, 1.0, -2.0] as [Double], shape: [2, 2]), """
        array([[ 0.5 ,  0.25],
               [ 1.  , -2.  ]])
        """, "small")
        XCTAssertEqual(try NumpyFormat.repr([3, 8, 8, 0] as [UInt8], shape: [4, 1]), """
        array([[3],
               [8],
               [8],
               [0]], dtype=uint8)
        """, "ints")
        XCTAssertEqual(try NumpyFormat.repr([Float(0.1), Float(0.2), Float(1) / 3], shape: [3], dtype: "float32"), """
        array([0.1       , 0.2       , 0.33333334], dtype=float32)
        """, "f32")
        XCTAssertEqual(try NumpyFormat.repr([1e-05, 1.0, 123.5] as [Double], shape: [3]), """
        array([1.000e-05, 1.000e+00, 1.235e+02])
        """, "exp")
        XCTAssertEqual(try NumpyFormat.repr([1.5e-05, 1.0] as [Double], shape: [2]), """
        array([1.5e-05, 1.0e+00])
        """, "exp2")
        XCTAssertEqual(try NumpyFormat.repr([10000000000.0, 2.0] as [Double], shape: [2]), """
        array([1.e+10, 2.e+00])
        """, "big")
        XCTAssertEqual(try NumpyFormat.repr([Double.nan, 1.5, -Double.infinity] as [Double], shape: [3]), """
        array([ nan,  1.5, -inf])
        """, "nan")
        XCTAssertEqual(try NumpyFormat.repr([1e-05, Double.nan] as [Double], shape: [2]), """
        array([1.e-05,    nan])
        """, "nanexp")
        XCTAssertEqual(try NumpyFormat.repr([0.0, 0.0, 0.0, 0.0, 0.0, 0.0] as [Double], shape: [2, 3]), """
        array([[0., 0., 0.],
               [0., 0., 0.]])
        """, "zeros")
        XCTAssertEqual(try NumpyFormat.repr([-3, 997, 1997, 2997, 3997, 4997, 5997, 6997, 7997, 8997, 9997, 10997, 11997, 12997, 13997, 14997, 15997, 16997, 17997, 18997, 19997, 20997, 21997, 22997, 23997, 24997, 25997, 26997, 27997, 28997, 29997, 30997, 31997, 32997, 33997, 34997, 35997, 36997, 37997, 38997] as [Int], shape: [40]), """
        array([   -3,   997,  1997,  2997,  3997,  4997,  5997,  6997,  7997,
                8997,  9997, 10997, 11997, 12997, 13997, 14997, 15997, 16997,
               17997, 18997, 19997, 20997, 21997, 22997, 23997, 24997, 25997,
               26997, 27997, 28997, 29997, 30997, 31997, 32997, 33997, 34997,
               35997, 36997, 37997, 38997])
        """, "intwide")
        XCTAssertEqual(try NumpyFormat.repr([3.5] as [Double], shape: []), """
        array(3.5)
        """, "scalar")
        XCTAssertEqual(try NumpyFormat.repr([0.123456789, 2.0] as [Double], shape: [2]), """
        array([0.12345679, 2.        ])
        """, "round")
        XCTAssertEqual(try NumpyFormat.repr([-1.5, 2.25, 10.0] as [Double], shape: [3]), """
        array([-1.5 ,  2.25, 10.  ])
        """, "neg")
        XCTAssertEqual(try NumpyFormat.repr([0.0001, 0.5] as [Double], shape: [2]), """
        array([1.e-04, 5.e-01])
        """, "mixed")
    }

    func testFourDimensionsSeparateBlocksWithBlankLines() throws {
        let values = (0..<120).map { Double($0 % 17 - 8) / 4 }
        XCTAssertEqual(try NumpyFormat.repr(values, shape: [2, 3, 4, 5]), """
        array([[[[-2.  , -1.75, -1.5 , -1.25, -1.  ],
                 [-0.75, -0.5 , -0.25,  0.  ,  0.25],
                 [ 0.5 ,  0.75,  1.  ,  1.25,  1.5 ],
                 [ 1.75,  2.  , -2.  , -1.75, -1.5 ]],

                [[-1.25, -1.  , -0.75, -0.5 , -0.25],
                 [ 0.  ,  0.25,  0.5 ,  0.75,  1.  ],
                 [ 1.25,  1.5 ,  1.75,  2.  , -2.  ],
                 [-1.75, -1.5 , -1.25, -1.  , -0.75]],

                [[-0.5 , -0.25,  0.  ,  0.25,  0.5 ],
                 [ 0.75,  1.  ,  1.25,  1.5 ,  1.75],
                 [ 2.  , -2.  , -1.75, -1.5 , -1.25],
                 [-1.  , -0.75, -0.5 , -0.25,  0.  ]]],


               [[[ 0.25,  0.5 ,  0.75,  1.  ,  1.25],
                 [ 1.5 ,  1.75,  2.  , -2.  , -1.75],
                 [-1.5 , -1.25, -1.  , -0.75, -0.5 ],
                 [-0.25,  0.  ,  0.25,  0.5 ,  0.75]],

                [[ 1.  ,  1.25,  1.5 ,  1.75,  2.  ],
                 [-2.  , -1.75, -1.5 , -1.25, -1.  ],
                 [-0.75, -0.5 , -0.25,  0.  ,  0.25],
                 [ 0.5 ,  0.75,  1.  ,  1.25,  1.5 ]],

                [[ 1.75,  2.  , -2.  , -1.75, -1.5 ],
                 [-1.25, -1.  , -0.75, -0.5 , -0.25],
                 [ 0.  ,  0.25,  0.5 ,  0.75,  1.  ],
                 [ 1.25,  1.5 ,  1.75,  2.  , -2.  ]]]])
        """)
    }

    func testLargeLabelArrayIsSummarised() throws {
        let labels = (0..<10_000).map { UInt8($0 * 7 % 10) }
        // As the seed's `test_labels` prints (NumPy 1.x), and with NumPy 2.2's shape note.
        XCTAssertEqual(try NumpyFormat.repr(labels, shape: [10_000, 1]), """
        array([[0],
               [7],
               [4],
               ...,
               [9],
               [6],
               [3]], dtype=uint8)
        """)
        XCTAssertEqual(try NumpyFormat.repr(labels, shape: [10_000, 1], style: .numpy2), """
        array([[0],
               [7],
               [4],
               ...,
               [9],
               [6],
               [3]], shape=(10000, 1), dtype=uint8)
        """)
    }

    func testLargeFloatArraysUseTheShownElementsOnly() throws {
        let long = (0..<2000).map { Double($0) / 7 }
        XCTAssertEqual(try NumpyFormat.repr(long, shape: [2000], style: .numpy2), """
        array([0.00000000e+00, 1.42857143e-01, 2.85714286e-01, ...,
               2.85285714e+02, 2.85428571e+02, 2.85571429e+02], shape=(2000,))
        """)
        let image = (0..<(32 * 32 * 3)).map { Double($0 % 251) / 255 }
        let text = try NumpyFormat.repr(image, shape: [32, 32, 3])
        XCTAssertTrue(text.hasPrefix("""
        array([[[0.        , 0.00392157, 0.00784314],
                [0.01176471, 0.01568627, 0.01960784],
                [0.02352941, 0.02745098, 0.03137255],
                ...,
                [0.34117647, 0.34509804, 0.34901961],
        """), text)
        XCTAssertTrue(text.contains("""
                [0.72941176, 0.73333333, 0.7372549 ],
                [0.74117647, 0.74509804, 0.74901961]],

               [[0.75294118, 0.75686275, 0.76078431],
        """), text)
        XCTAssertTrue(text.contains("]],\n\n       ...,\n\n       [["), "the elided middle block")
        XCTAssertTrue(text.hasSuffix("""
                [0.21176471, 0.21568627, 0.21960784],
                [0.22352941, 0.22745098, 0.23137255]]])
        """), text)
        // Stored as Float32 they print float32's own shortest digits, as NumPy does for float32,
        // and the notes that do not fit the last line move to a line of their own.
        let single = try NumpyFormat.repr(image.map(Float.init), shape: [32, 32, 3], dtype: "float32", style: .numpy2)
        XCTAssertTrue(single.hasPrefix("""
        array([[[0.        , 0.00392157, 0.00784314],
                [0.01176471, 0.01568628, 0.01960784],
        """), single)
        XCTAssertTrue(single.hasSuffix("""
                [0.21176471, 0.21568628, 0.21960784],
                [0.22352941, 0.22745098, 0.23137255]]],
              shape=(32, 32, 3), dtype=float32)
        """), single)
    }

    func testShapeMismatchIsAnError() {
        XCTAssertThrowsError(try NumpyFormat.repr([1, 2, 3] as [Int], shape: [2, 2])) { error in
            XCTAssertEqual("\(error)", "an array of shape (2, 2) holds 4 values, got 3")
        }
    }
}
