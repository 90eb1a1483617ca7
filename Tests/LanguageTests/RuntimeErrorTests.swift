import Datasets
import Engine
import Foundation
@testable import Language
import XCTest

/// Statements that parse but cannot run: each gives a diagnostic with its message, place and
/// hint, and leaves every value of the session as it was.
final class RuntimeErrorTests: XCTestCase {
    override func tearDown() {
        SessionHarness.removeFolders()
        super.tearDown()
    }

    /// One failing input. `line` counts from the first line of `source`; the cell is run as if
    /// it started on line 40 of `lesson.cnnb`. A `hint` ending in `…` is matched as a prefix.
    struct Case {
        var source: String
        var message: String
        var line: Int
        var column: Int
        var hint: String?
        var caseLine: UInt

        init(_ source: String, _ message: String, line: Int = 1, column: Int, hint: String? = nil, caseLine: UInt = #line) {
            self.source = source
            self.message = message
            self.line = line
            self.column = column
            self.hint = hint
            self.caseLine = caseLine
        }
    }

    static let firstLine = 40

    /// A session holding a dataset, the seed model (not compiled), a compiled model for other
    /// images, a compiled model with 3 classes, a trained model with its history, a compiled
    /// model with two outputs (digit, odd), and numbers.
    static func makeWorld() throws -> Session {
        let session = try SessionHarness.makeSession("errors", trainCount: 64, testCount: 16)
        session.succeed("""
            data = load shapes
            data = data / 255
            x = 5
            xs = [1, 2, 3]
            m = [[1, 3], [4, 6]]
            """)
        session.succeed(SessionHarness.seedModel)
        session.succeed("""
            model small { input 28x28x1; flatten; dense 10 softmax }
            compile small optimizer adam loss sparse_categorical_crossentropy
            model three { input 32x32x3; pool 8; flatten; dense 3 softmax }
            compile three optimizer adam loss sparse_categorical_crossentropy
            model tiny { input 32x32x3; pool 8; flatten; dense 10 softmax }
            compile tiny optimizer sgd loss sparse_categorical_crossentropy metrics accuracy
            h = fit tiny on data.train epochs 1
            model two { input 32x32x3; pool 8; f = flatten; digit = dense 10 softmax name "digit"; odd = dense 1 sigmoid name "odd" from f; outputs digit, odd }
            compile two optimizer adam loss digit sparse_categorical_crossentropy, odd binary_crossentropy metrics accuracy
            """)
        return session
    }

    /// Everything a failing statement must leave alone: each name, what it holds, and for
    /// models their weights and compilation.
    static func fingerprint(_ session: Session) -> [String] {
        session.definitionOrder.map { name -> String in
            guard let value = session[name] else { return "\(name) missing" }
            var text = "\(name) = \(value.brief)"
            switch value {
            case .model(let model):
                let sums = model.parameters.map { $0.value.scalars.reduce(0.0) { $0 + Double($1) } }
                text += " weights \(sums) optimizer \(model.optimizer?.name ?? "-") loss \(model.loss?.rawValue ?? "-")"
                text += " lr \(model.optimizer?.learningRate ?? 0) metrics \(model.metrics.map(\.rawValue))"
            case .dataset(let d):
                text += " pixels read as \(d.train.value(ofByte: 0))...\(d.train.value(ofByte: 255)), \(d.test.value(ofByte: 0))...\(d.test.value(ofByte: 255))"
            case .history(let h):
                text += " \(h.keys) \(h.loss)"
            default: break
            }
            return text
        }
    }

    static let definedNames = "data, x, xs, m, cnn, small, three, tiny, h, two"

    static let cases: [Case] = [
        // Names
        Case("print y", "'y' is not defined", column: 7, hint: "defined names: \(definedNames)"),
        Case("z = dta", "'dta' is not defined", column: 5, hint: "did you mean 'data'? defined names: \(definedNames)"),
        Case("shape data.trian", "a dataset has no member 'trian'", column: 12, hint: "did you mean 'train'? it has: train, test, classes"),
        Case("cnn.layerz", "a model has no member 'layerz'", column: 5, hint: "did you mean 'layers'? it has: layers, name"),
        Case("cnn.layers[1, 3].kernel", "a model's layers has no member 'kernel'", column: 18,
             hint: "pick one layer first, such as cnn.layers[1].kernel"),
        Case("x.size", "a number has no member 'size'", column: 3),
        Case("cnn.layers[1].foo", "a model's layer has no member 'foo'", column: 15, hint: "it has: kernel, bias, name"),
        // Model blocks: dense on a 4D output proposes flatten, the place is the dense line.
        Case("model bad { input 32x32x3; conv 8 3x3 relu; dense 10 softmax }",
             "Dense cannot follow an output of shape (None, 30, 30, 8): Dense expects a flat input (features,) but got shape (30, 30, 8)",
             column: 45, hint: "add `flatten` before `dense` to turn (30, 30, 8) into (7200,)"),
        Case("model bad {\n    input 8x8x3\n    conv 8 3x3\n    pool 2\n    dense 10\n}",
             "Dense cannot follow an output of shape (None, 3, 3, 8): Dense expects a flat input (features,) but got shape (3, 3, 8)",
             line: 5, column: 5, hint: "add `flatten` before `dense` to turn (3, 3, 8) into (72,)"),
        Case("model m6 { input 32x32x3; zzz }", "'zzz' is not defined", column: 27, hint: "defined names: \(definedNames)"),
        Case("model m5 { input 32x32x3; x }", "'x' is a number, not a layer or a model", column: 27),
        Case("model m3 { conv 8 3x3 }", "a model starts with its input", column: 12, hint: "begin with input 32x32x3"),
        Case("model m4 { input 32x32x3; input 32x32x3 }", "a model has one input, at its start", column: 27, hint: "remove this input line"),
        // Graphs: names read before they are named (no cycles), unknown names, shapes that do not join
        Case("model g1 { input 8x8x3; a = conv 4 3x3 from b; b = conv 4 1x1 }",
             "'b' is named on a later line; a layer reads outputs named above it", column: 45,
             hint: "a model is a graph without cycles: move the line that names b above this one"),
        Case("model g2 { input 8x8x3; a = conv 4 3x3; conv 4 1x1 from aa }", "no output named 'aa' in model g2", column: 57,
             hint: "name an output with NAME = LAYER, then read it with from NAME; did you mean 'a'?"),
        Case("model g3 { input 8x8x3; a = conv 4 3x3; b = conv 4 3x3; add a, b }",
             "Add cannot join outputs of shapes (None, 6, 6, 4) and (None, 4, 4, 4): Inputs have incompatible shapes. Received shapes (6, 6, 4) and (4, 4, 4)",
             column: 57, hint: "Add combines inputs of the same shape, repeating an axis of size 1 (or missing in front); a 1x1 convolution or a pooling can make them match"),
        Case("model g4 { input 8x8x3; a = conv 4 3x3 padding same; b = conv 6 1x1; concat a, b axis 1 }",
             "Concatenate cannot join outputs of shapes (None, 8, 8, 4) and (None, 8, 8, 6): A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 8, 8, 4), (None, 8, 8, 6)]",
             column: 70, hint: "the inputs differ outside axis 1; pool or pad the larger one so they match"),
        Case("model g5 { input 8x8x3; a = conv 4 3x3; add a }", "add joins two or more outputs", column: 41, hint: "name them: add a, b"),
        Case("model g6 { input 8x8x3; a = conv 4 3x3; a = conv 4 1x1 }", "'a' already names an output in model g6", column: 41,
             hint: "give each output its own name"),
        Case("model g7 { input 8x8x3; a = conv 4 3x3; outputs a; flatten }", "outputs ends the block", column: 52,
             hint: "put the outputs line last"),
        // Layers on their own
        Case("layer dense 10 on 8x8x3",
             "Dense cannot take an input of shape (None, 8, 8, 3): Dense expects a flat input (features,) but got shape (8, 8, 3)",
             column: 7, hint: "add `flatten` before `dense` to turn (8, 8, 3) into (192,)"),
        Case("layer conv 8 3x3 stride relu", "the stride must be a size like 3x3, got relu", column: 25),
        Case("layer conv 8 3x3x3 on 32x32x3", "the kernel size 3x3x3 has 3 axes; this layer has 2", column: 14,
             hint: "write 3x3 or one number for every axis"),
        Case("layer conv 8 3x3 stride 2x2x2", "the stride 2x2x2 has 3 axes; this layer has 2", column: 25,
             hint: "write 3x3 or one number for every axis"),
        Case("layer maxpool 2 on 1x1x3",
             "MaxPooling2D cannot take an input of shape (None, 1, 1, 3): MaxPooling2D: window (2, 2) is larger than the input (1, 1) with padding valid (axis 1: 2 > 1)",
             column: 7, hint: "use padding same, a smaller window, or a larger input"),
        // Weights too many to allocate are refused before they are.
        Case("layer dense 999999999 on 999999999",
             "Dense on (None, 999999999) would hold 9.99999999e+17 weights; cnnb allows 268,435,456 per layer",
             column: 7, hint: "use fewer units or filters, or shrink the input first (pooling, strides)"),
        Case("model huge { input 32x32x3; flatten; dense 6400000 }",
             "Dense on (None, 3072) would hold 19,667,200,000 weights; cnnb allows 268,435,456 per layer",
             column: 38, hint: "use fewer units or filters, or shrink the input first (pooling, strides)"),
        Case("explain conv 100000 30x30 on 32x32x3000",
             "Conv2D on (None, 32, 32, 3000) would hold 270,000,100,000 weights; cnnb allows 268,435,456 per layer",
             column: 9, hint: "use fewer units or filters, or shrink the input first (pooling, strides)"),
        // Inputs whose sizes would overflow the shape arithmetic are refused.
        Case("layer conv 8 3x3 on 999999999x999999999x3",
             "an input of 999999999x999999999x3 holds 2.999999994e+18 values; cnnb takes at most 2,147,483,648 per image",
             column: 21, hint: "give a smaller input shape"),
        Case("model vast { input 99999x99999x999; flatten }",
             "an input of 99999x99999x999 holds 9,989,800,200,999 values; cnnb takes at most 2,147,483,648 per image",
             column: 20, hint: "give a smaller input shape"),
        Case("layer conv 8 0x3", "the kernel size must be at least 1 on every axis, got 0x3", column: 14),
        Case("layer conv 8 3x3 stride 1x0", "the stride must be at least 1 on every axis, got 1x0", column: 25),
        Case("layer maxpool 9223372036854775807x2 padding same on 5x5x1",
             "the pool size must be under a billion on every axis, got 9223372036854775807x2", column: 15),
        Case("layer conv 8 3x3 on 0x5x3", "expected an input shape like 32x32x3, got 0x5x3", column: 21),
        Case("layer dropout 2", "Dropout rate must be in [0, 1), got 2.0", column: 7, hint: "0.5 drops half the values"),
        Case("layer conv 8 3x3 stride 2 dilation 2", "Conv2D cannot take strides (2, 2) together with dilation_rate (2, 2)", column: 7,
             hint: "Keras allows a stride above 1 or a dilation above 1, not both: use stride 1, or dilation 1"),
        Case("layer conv 8 3 dilation 4 on 8x8x2",
             "Conv2D cannot take an input of shape (None, 8, 8, 2): Conv2D: dilated window (3, 3) (spanning (9, 9)) is larger than the input (8, 8) with padding valid (axis 1: 9 > 8)",
             column: 7, hint: "use padding same, a smaller window, or a larger input"),
        Case("layer batchnorm momentum 2", "BatchNormalization momentum must be in [0, 1], got 2.0", column: 7,
             hint: "0.99 (Keras's default) lets the moving statistics follow about the last 100 batches"),
        Case("layer depthwiseconv 3 multiplier 0", "the depth multiplier must be a whole number of at least 1, got 0", column: 34),
        Case("layer sepconv 8 5 on 4x4x3",
             "SeparableConv2D cannot take an input of shape (None, 4, 4, 3): SeparableConv2D: window (5, 5) is larger than the input (4, 4) with padding valid (axis 1: 5 > 4)",
             column: 7, hint: "use padding same, a smaller window, or a larger input"),
        Case("layer upsample 2 on 5x3",
             "UpSampling2D cannot take an input of shape (None, 5, 3): UpSampling2D expects inputs of rank 3 (2 spatial axes, channels) but got shape (5, 3)",
             column: 7, hint: "use the 1D form of this layer"),
        Case("layer resizing 0x4", "the size must be at least 1 on every axis, got 0x4", column: 16),
        Case("layer randomcontrast 1.5", "RandomContrast factor must be between 0 and 1, got 1.5", column: 7,
             hint: "0.2 changes the contrast by up to 20%"),
        Case("layer centercrop 4x4 on 32", "CenterCrop cannot take an input of shape (None, 32): CenterCrop expects images (height, width, channels) but got shape (32,)",
             column: 7, hint: "image layers take inputs such as 32x32x3"),
        Case("explain conv 8 3x3", "explain needs the input shape", column: 1, hint: "add it: explain conv … on 32x32x3"),
        // Indexing
        Case("xs[5]", "index 5 is out of range: there are 3 items", column: 4, hint: "use 0 to 2"),
        Case("[7][3]", "index 3 is out of range: there is 1 item", column: 5, hint: "use 0"),
        Case("[][0]", "index 0 is out of range: there are 0 items", column: 4),
        Case("xs[-4]", "index -1 is out of range: there are 3 items", column: 4, hint: "use 0 to 2"),
        Case("xs[0.5]", "an index must be a whole number", column: 4),
        // Numbers beyond Int stop with an error, not a trap.
        Case("xs[99999999999 * 99999999999]", "index 9.9999999998e+21 is out of range: there are 3 items", column: 4, hint: "use 0 to 2"),
        Case("okbig = 99999999999 * 99999999999\nlayer conv 8 3x3 stride okbig", "the stride must be a size like 3x3, got 9.9999999998e+21",
             line: 2, column: 25),
        Case("okbig = 99999999999 * 99999999999\nlayer conv 8 3x3 on okbig", "expected an input shape like 32x32x3, got 9.9999999998e+21",
             line: 2, column: 21),
        Case("shape data.train[0..<99999]", "range 0..<99999 is outside 0..<64", column: 18, hint: "there are 64 items"),
        Case("shape data.train[5..<2]", "range 5..<2 is outside 0..<64", column: 18, hint: "there are 64 items"),
        Case("weights cnn.layers[20]", "index 20 is out of range: there are 9 items", column: 20, hint: "use 0 to 8"),
        Case("x[0]", "a number cannot be indexed", column: 1,
             hint: "index images (data.train[7]), labels, lists, tensors or a model's layers"),
        // Arithmetic
        Case("x / 0", "division by zero", column: 1),
        Case("y = x + \"a\"", "cannot compute a number + a string", column: 5,
             hint: "arithmetic works on numbers, on labels with a number (labels % 2), and on datasets or images with a number (data / 255)"),
        Case("data % 2", "'%' does not apply to images", column: 1, hint: "scale with / or *, shift with + or -"),
        Case("-data", "cannot negate a dataset", column: 1, hint: "'-' applies to numbers"),
        // Data
        Case("d = load shapez", "unknown dataset 'shapez'", column: 10,
             hint: "did you mean 'shapes'? cnnb knows cifar10, mnist, fashion_mnist, shapes"),
        Case("d = load cifar10 from \"/nonexistent\"",
             "CIFAR-10 folder /nonexistent does not exist (searched /nonexistent and /nonexistent/cifar-10-batches-bin)",
             column: 18, hint: "give the folder holding data_batch_1.bin, …"),
        Case("d = load shapes from \"/tmp\"", "the shapes dataset is generated, not read from a folder", column: 17,
             hint: "write load shapes"),
        Case("load 3", "load needs a dataset name, got a number", column: 6, hint: "one of cifar10, mnist, fashion_mnist, shapes"),
        Case("load cnn", "loading into a model needs the weight file", column: 1, hint: "write load cnn weights \"model.cnnbw\""),
        Case("load cnn weights \"/nonexistent/w.cnnbw\"", "cannot read /nonexistent/w.cnnbw: no such file or it is not readable",
             column: 18, hint: "check the path"),
        // Compiling
        Case("compile cnn optimizer adamm loss sparse_categorical_crossentropy", "unknown optimizer 'adamm'", column: 23,
             hint: "did you mean 'adam'? use one of adam, adamw, sgd, rmsprop"),
        Case("compile cnn optimizer adam loss mse2", "unknown loss 'mse2'", column: 33,
             hint: "did you mean 'mse'? use one of sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mean_squared_error, mean_absolute_error, mae, mse"),
        Case("compile cnn optimizer adam momentum 0.9 loss mse", "adam has no option 'momentum'", column: 37,
             hint: "adam takes beta_1, beta_2, epsilon, weight_decay, clipnorm"),
        Case("compile cnn optimizer sgd momentum 1.5 loss mse", "momentum must be a number at least 0.0 and below 1.0, got 1.5", column: 36),
        Case("compile cnn optimizer sgd momentum fast loss mse", "momentum must be a number, got fast", column: 36),
        Case("compile cnn optimizer adam loss mse from_logits", "from_logits applies to the cross-entropy losses, not mean_squared_error",
             column: 37, hint: "remove from_logits"),
        Case("compile cnn optimizer adam lr 0.1 learning_rate 0.1 loss mse", "the learning rate is given twice", column: 35,
             hint: "keep lr or learning_rate, not both"),
        Case("compile cnn loss sparse_categorical_crossentropy metrics acuracy", "unknown metric 'acuracy'", column: 58,
             hint: "did you mean 'accuracy'? use accuracy"),
        Case("compile cnn optimizer adam loss sparse_categorical_crossentropy lr -1",
             "the learning rate must be a positive number, got -1", column: 68, hint: "for example lr 0.001"),
        Case("compile cnn optimizer 3 loss sparse_categorical_crossentropy", "the optimizer must be a name, got a number", column: 23),
        Case("compile cnn optimizer adam", "compile needs a loss", column: 1,
             hint: "add loss sparse_categorical_crossentropy (integer labels) or loss categorical_crossentropy (one-hot)"),
        // Selections, labels and arithmetic
        Case("data.train[labels in 3]", "'in' needs a list after it, got a number", column: 12, hint: "for example labels in [3, 5]"),
        Case("data.train[labels == \"a\"]", "cannot compare labels == a string", column: 12,
             hint: "compare labels, a tensor or a number with a number: data.train.labels == 3"),
        Case("data.train[xs == 3]", "cannot compare a list", column: 12,
             hint: "compare labels, a tensor or a number: data.train.labels == 3"),
        Case("data.test[data.train.labels == 3]", "a selection needs one true or false per item (16), got a tensor of shape (64,)",
             column: 11, hint: "compare the split's own labels: data.train[labels == 3]"),
        Case("relabel data [3]", "relabel keeps at least two classes, got 1", column: 14, hint: "for example [3, 5]"),
        Case("relabel data [3, 3]", "class 3 is listed twice", column: 14, hint: "list each class once"),
        Case("relabel x [3, 5]", "relabel needs images with labels or a dataset, got a number", column: 9, hint: "for example relabel data [3, 5]"),
        Case("onehot x", "onehot needs labels, images with labels or a dataset, got a number", column: 8,
             hint: "for example data = onehot data, or onehot data.train.labels"),
        Case("onehot data classes 2", "label 9 does not fit in 2 classes", column: 8, hint: "give classes 10"),
        Case("x // 0", "division by zero", column: 1),
        Case("floor xs", "floor needs a number, got a list", column: 7),
        // Training
        Case("fit cnn on data.train epochs 1", "cnn is not compiled", column: 5,
             hint: "first: compile cnn optimizer adam loss sparse_categorical_crossentropy metrics accuracy"),
        Case("evaluate cnn on data.test", "cnn is not compiled", column: 10, hint: "compile it first, with the loss to measure"),
        Case("fit small on data.train epochs 1",
             "the model takes inputs of (None, 28, 28, 1) but these images are (None, 32, 32, 3)", column: 14,
             hint: "change the model's input to input 32x32x3"),
        Case("evaluate small on data.test",
             "the model takes inputs of (None, 28, 28, 1) but these images are (None, 32, 32, 3)", column: 19,
             hint: "change the model's input to input 32x32x3"),
        Case("predict small data.test[0..<2]",
             "the model takes inputs of (None, 28, 28, 1) but these images are (None, 32, 32, 3)", column: 15,
             hint: "change the model's input to input 32x32x3"),
        Case("fit three on data.train", "the model has 3 outputs but the data has 10 classes", column: 14,
             hint: "end the model with dense 10 softmax"),
        Case("evaluate three on data.test", "the model has 3 outputs but the data has 10 classes", column: 19,
             hint: "end the model with dense 10 softmax"),
        Case("fit tiny on data epochs 1", "fit needs one split, got a whole dataset", column: 13, hint: "write data.train or data.test"),
        Case("fit tiny on data.train[0..<0]", "fit got no images to train on", column: 13,
             hint: "this range is empty; pick at least one image"),
        Case("fit tiny on data.train validate data.test[5..<5]", "fit got no images to validate on", column: 33,
             hint: "this range is empty; pick at least one image"),
        Case("evaluate tiny on data.test[0..<0]", "evaluate got no images to evaluate on", column: 18,
             hint: "this range is empty; pick at least one image"),
        Case("fit tiny epochs 1", "fit needs the images to train on", column: 1, hint: "add on data.train"),
        // Several outputs: names, targets for each, and what each output's loss reads.
        Case("compile two loss digit mse, od mse", "model two has no output named 'od'", column: 29,
             hint: "did you mean 'odd'? its outputs are digit, odd (an output is named after its layer: dense 1 sigmoid name \"odd\")"),
        Case("compile two loss digit mse", "output 'odd' of two has no loss", column: 13, hint: "give every output its loss: loss digit NAME, odd NAME"),
        Case("compile two loss digit mse, odd msee", "unknown loss 'msee'", column: 33, hint: "did you mean 'mse'? …"),
        Case("fit two on data.train targets digit labels % 2", "output 'odd' of two has no targets", column: 23,
             hint: "give every output its targets: targets digit labels, odd labels"),
        Case("fit two on data.train targets digit labels, odd data.test.labels % 2", "the targets of output odd are 16 labels for 64 images",
             column: 49, hint: "write a bare labels: it stands for the labels of the images read"),
        Case("evaluate two on data.test targets digit labels / 2, odd labels", "sparse_categorical_crossentropy needs one class index per image from 0 to 9, got a tensor of shape (16,)",
             column: 41, hint: "give labels, or use categorical_crossentropy for one-hot rows"),
        Case("evaluate two on data.test targets digit labels + 5, odd labels % 2", "output digit has 10 units but its labels run from 5 to 14",
             column: 41, hint: "give digit 15 units, or labels from 0 to 9"),
        Case("fit two on data.train targets digit labels, odd xs", "the targets of output odd are labels or a tensor, got a list", column: 49,
             hint: "for example targets odd labels % 2"),
        Case("fit two on data.train targets digit labels, odd onehot labels", "targets of shape (10,) do not match output odd, of shape (None, 1)",
             column: 49, hint: "give one number per image"),
        Case("fit two on data.train epochs 1 patience 1 monitor val_digit_acc", "cannot monitor 'val_digit_acc'", column: 51,
             hint: "did you mean 'val_digit_accuracy'? monitor one of val_loss, val_digit_loss, val_odd_loss, val_digit_accuracy, val_odd_accuracy, loss, digit_loss, odd_loss, digit_accuracy, odd_accuracy"),
        Case("fit tiny on data.train epochs 2.5", "the number of epochs must be a whole number of at least 1, got 2.5", column: 31),
        Case("fit tiny on data.train batch \"big\"", "the batch size must be a whole number of at least 1, got \"big\"", column: 30),
        Case("fit tiny on data.train class_weight 3", "class_weight is a list of weights, one per class, or balanced; got 3", column: 37,
             hint: "for example class_weight [1.0, 3.5] (class 0 weighs 1, class 1 weighs 3.5) or class_weight balanced"),
        Case("fit tiny on data.train class_weight [1, -2]", "class weight 1 must be a number of at least 0, got -2", column: 37),
        Case("fit tiny on data.train reduce_lr 0.5", "val_loss is measured on validation data, and this fit has none", column: 24,
             hint: "add validate DATA or validation_split 0.2, or monitor loss"),
        Case("fit tiny on data.train monitor loss reduce_lr 2",
             "reduce_lr takes the factor the learning rate is multiplied by, between 0 and 1, got 2", column: 47,
             hint: "for example reduce_lr 0.5 patience 2"),
        Case("fit tiny on data.train validate data.test reduce_lr 0.5 restore_best",
             "restore_best belongs to early stopping; with reduce_lr, patience is the learning rate's", column: 57,
             hint: "train with reduce_lr in one fit and patience … restore_best in another"),
        Case("fit tiny on data.train validate data.test reduce_lr 0.5 lr_schedule cosine decay_steps 5",
             "a learning-rate schedule and reduce_lr cannot both set the rate", column: 57,
             hint: "keep lr_schedule or reduce_lr, as Keras does not reduce a scheduled rate"),
        Case("fit tiny on data.train min_lr 0.1", "min_lr belongs to reduce_lr", column: 24,
             hint: "add reduce_lr 0.5: lower the rate when training stalls"),
        Case("fit tiny on data.train lr_schedule cosine", "the cosine schedule needs decay_steps: the training steps (batches) it decays over",
             column: 36, hint: "for example lr_schedule cosine decay_steps 1000"),
        Case("fit tiny on data.train lr_schedule exponential decay_steps 10", "the exponential schedule needs decay_rate: the factor per decay_steps",
             column: 36, hint: "for example lr_schedule exponential decay_steps 1000 decay_rate 0.96"),
        Case("fit tiny on data.train lr_schedule cosine decay_steps 10 alpha 2",
             "alpha is the fraction of the rate left at the end, between 0 and 1, got 2", column: 64),
        Case("fit tiny on data.train lr_schedule cosin decay_steps 10", "lr_schedule is cosine or exponential, got cosin", column: 36,
             hint: "did you mean 'cosine'? lr_schedule cosine decay_steps 1000, or lr_schedule exponential decay_steps 1000 decay_rate 0.96"),
        Case("fit tiny on data.train decay_steps 10", "decay_steps belongs to lr_schedule", column: 24,
             hint: "add lr_schedule cosine decay_steps 1000, or lr_schedule exponential decay_steps 1000 decay_rate 0.96"),
        Case("predict cnn x", "predict needs images or a tensor, got a number", column: 13, hint: "for example predict cnn data.test[0..<10]"),
        // Histories
        Case("plot h acc", "the history has no 'acc'", column: 8, hint: "did you mean 'accuracy'? the history has accuracy, loss"),
        Case("plot h accuracy val_accuracy", "the history has no 'val_accuracy'", column: 17, hint: "the history has accuracy, loss"),
        Case("h.val_loss", "a training history has no member 'val_loss'", column: 3, hint: "it has: accuracy, loss"),
        Case("plot x", "plot draws a model or a training history, got a number", column: 6,
             hint: "plot cnn, or plot history accuracy val_accuracy"),
        // Looking inside models
        Case("filters cnn.layers[7]", "filters draws the kernels of one 2D convolution layer", column: 9,
             hint: "its Conv2D layers are cnn.layers[1], cnn.layers[3], cnn.layers[5]"),
        Case("filters tiny.layers[1]", "filters draws the kernels of one 2D convolution layer", column: 9,
             hint: "this model has no Conv2D layer"),
        Case("filters cnn.layers[1] channel 7", "conv2d has 3 input channels; channel 7 does not exist", column: 31, hint: "use 0 to 2"),
        Case("filters cnn.layers[3] rgb", "rgb needs filters over 3 input channels; conv2d_1 has 32", column: 23,
             hint: "use channel N to see one channel"),
        Case("features cnn.layers[1] of data.train[0..<3]", "features looks at one image, got 3", column: 27,
             hint: "pick one with an index: data.train[7]"),
        Case("features cnn.layers[1]", "features needs the image to look at", column: 1, hint: "add of data.train[7]"),
        Case("submodel cnn outputs small.layers[1]", "these layers belong to small, not cnn", column: 22),
        Case("summary x", "expected a model, got a number", column: 9, hint: "define one with model NAME { input 32x32x3; … }"),
        Case("weights x", "expected a model or its layers, got a number", column: 9, hint: "for example cnn.layers[1]"),
        Case("shape x", "a number has no shape", column: 7, hint: "shape works on datasets, images, labels, tensors and models"),
        // Pictures
        Case("show x", "show draws images, got a number", column: 6, hint: "for example show data.train[0..<25] grid 5x5 labels"),
        Case("show data.train[0..<4] grid 0x2", "a grid is written ROWSxCOLUMNS, got 0x2", column: 29, hint: "write grid 8x4"),
        Case("show data.train[0] grid 4000000000x4000000000", "a grid has at most 1000 rows and 1000 columns, got 4000000000x4000000000",
             column: 25, hint: "write grid 8x4"),
        Case("filters cnn.layers[1] grid 5000", "a grid has at most 1000 rows and 1000 columns, got 5000", column: 28,
             hint: "write grid 8x4"),
        Case("show data.train[3..<3]", "there are no images to show", column: 6),
        Case("apply [[1, 2], [3]] to m", "the rows of a matrix must have the same length (2 and 1)", column: 7),
        Case("apply maxpool 2 to x", "apply works on one image or a written matrix, got a number", column: 20,
             hint: "for example to data.train[7], or to [[1, 2, 3], [4, 5, 6], [7, 8, 9]]"),
        Case("apply conv 8 3x3 to m",
             "Conv2D cannot take an input of shape (None, 2, 2, 1): Conv2D: window (3, 3) is larger than the input (2, 2) with padding valid (axis 1: 3 > 2)",
             column: 7, hint: "use padding same, a smaller window, or a larger input"),
        Case("apply maxpool 2 to m stride 2", "give stride and padding inside the layer", column: 22,
             hint: "write apply maxpool 2 stride 2 padding same to …"),
        Case("show cnn.layers[1].kernel", "a tensor of shape (3, 3, 3, 32) is not an image", column: 6,
             hint: "images are HxW, HxWx1, HxWx3 or a batch NxHxWx3"),
        Case("plot cnn h", "plot of a model takes nothing more", column: 10),
        // Saving and exporting
        Case("save cnn", "save needs what to write", column: 1, hint: "write save cnn weights \"cnn.cnnbw\""),
        Case("save cnn weights 3", "the weight file is written as a quoted path", column: 18, hint: "write weights \"path\""),
        Case("export cnn", "export needs a format and a file", column: 1,
             hint: "write export cnn onnx \"model.onnx\" or export cnn keras \"model.py\""),
        Case("oksub = submodel cnn outputs cnn.layers[1, 3]\npredict oksub data.test[0..<2] to \"p.npy\"",
             "model functional_1 has 2 outputs and a .npy file holds one array", line: 2, column: 32,
             hint: "write them to an .npz file: to \"predictions.npz\""),
        // Failures after earlier statements of the same cell: those keep their effect, the
        // place is the failing line's.
        Case("ok = 1\nok2 = ok + 1\nbad = ok / 0", "division by zero", line: 3, column: 7),
    ]

    func testEveryRuntimeErrorHasMessagePlaceAndHintAndChangesNothing() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 30)
        let session = try Self.makeWorld()
        let before = Self.fingerprint(session)
        XCTAssertEqual(session.definitionOrder, Self.definedNames.components(separatedBy: ", "))
        for c in Self.cases {
            let (outputs, error) = session.run(c.source, file: "lesson.cnnb", firstLine: Self.firstLine)
            guard let error else {
                XCTFail("no error from \(c.source)", line: c.caseLine)
                continue
            }
            XCTAssertEqual(error.severity, .error, line: c.caseLine)
            XCTAssertEqual(error.message, c.message, line: c.caseLine)
            XCTAssertEqual(error.span.file, "lesson.cnnb", line: c.caseLine)
            XCTAssertEqual(error.span.line, Self.firstLine + c.line - 1, "line of \(c.source)", line: c.caseLine)
            XCTAssertEqual(error.span.column, c.column, "column of \(c.source)", line: c.caseLine)
            switch c.hint {
            case nil: XCTAssertNil(error.hint, line: c.caseLine)
            case let hint? where hint.hasSuffix("…"):
                XCTAssertTrue(error.hint?.hasPrefix(String(hint.dropLast())) == true, "hint: \(error.hint ?? "none")", line: c.caseLine)
            case let hint?: XCTAssertEqual(error.hint, hint, line: c.caseLine)
            }
            // The rendered diagnostic shows the culprit's line with the caret under its column.
            let rendered = error.rendered(source: c.source).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let sourceLine = c.source.split(separator: "\n", omittingEmptySubsequences: false)[c.line - 1]
            XCTAssertEqual(rendered[0], "lesson.cnnb:\(Self.firstLine + c.line - 1):\(c.column): error: \(c.message)", line: c.caseLine)
            XCTAssertEqual(rendered[1], String(sourceLine), line: c.caseLine)
            XCTAssertEqual(rendered[2].firstIndex(of: "^").map { rendered[2].distance(from: rendered[2].startIndex, to: $0) + 1 },
                           c.column, "caret of \(c.source)", line: c.caseLine)
            if let hint = error.hint { XCTAssertTrue(rendered.contains("hint: " + hint), line: c.caseLine) }
            // Nothing failed silently before the error: no figure was made by a failing statement.
            XCTAssertTrue(outputs.allSatisfy { if case .figure = $0 { return false } else { return true } }, line: c.caseLine)
            // The session is as it was, apart from what statements before the failing one set.
            let after = Self.fingerprint(session).filter { !$0.hasPrefix("ok") }
            XCTAssertEqual(after, before, "the session changed after: \(c.source)", line: c.caseLine)
        }
        // The statements before a failure did run.
        XCTAssertEqual(session.succeed("ok2").text, "2")
        XCTAssertNil(session["bad"])
    }

    func testFreshSessionSaysNothingIsDefined() throws {
        let session = try SessionHarness.makeSession()
        let error = try XCTUnwrap(session.fail("print data"))
        XCTAssertEqual(error.message, "'data' is not defined")
        XCTAssertEqual(error.hint, "nothing is defined yet; define it first, e.g. data = load cifar10")
        XCTAssertEqual([error.span.line, error.span.column], [1, 7])
    }

    func testWordsTypedAtAPromptPointToTheREPLCommands() throws {
        let session = try SessionHarness.makeSession()
        XCTAssertEqual(session.fail("help")?.hint, "type :help for the statements and layers")
        XCTAssertEqual(session.fail("quit")?.hint, "type :quit (or Ctrl-D) to leave")
        XCTAssertEqual(session.fail("exit")?.message, "'exit' is not defined")
    }

    func testFailedRedefinitionKeepsTheOldValue() throws {
        let session = try SessionHarness.makeSession(trainCount: 8, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255\nx = 5")
        session.succeed("model net { input 32x32x3; conv 4 3x3 relu; flatten; dense 10 softmax }")
        guard case .model(let net) = try XCTUnwrap(session["net"]) else { return XCTFail("not a model") }
        let weights = net.parameters.map { $0.value.scalars }

        XCTAssertEqual(session.fail("x = x / 0")?.message, "division by zero")
        XCTAssertEqual(session.succeed("x").text, "5")
        XCTAssertEqual(session.fail("data = data / 0")?.message, "division by zero")
        guard case .dataset(let data) = try XCTUnwrap(session["data"]) else { return XCTFail("not a dataset") }
        XCTAssertEqual(data.train.value(ofByte: 255), 1)
        XCTAssertEqual(data.train.value(ofByte: 51), Float(51) / 255)
        // A model redefined with an error keeps its old definition and weights.
        let error = try XCTUnwrap(session.fail("model net { input 32x32x3; conv 4 3x3 relu; dense 10 softmax }"))
        XCTAssertEqual(error.span.column, 45)
        guard case .model(let still) = try XCTUnwrap(session["net"]) else { return XCTFail("not a model") }
        XCTAssertTrue(still === net)
        XCTAssertEqual(still.parameters.map { $0.value.scalars }, weights)
        XCTAssertEqual(session.definitionOrder, ["data", "x", "net"])
    }

    func testTrainingThatTheEngineRefusesLeavesTheWeights() throws {
        let session = try SessionHarness.makeSession(trainCount: 16, testCount: 4)
        session.succeed("data = load shapes\ndata = data / 255\nmodel net { input 32x32x3; pool 8; flatten; dense 10 softmax }")
        guard case .model(let net) = try XCTUnwrap(session["net"]) else { return XCTFail("not a model") }
        let weights = net.parameters.map { $0.value.scalars }
        // One-hot losses need one-hot targets; the images carry class indices.
        for loss in ["categorical_crossentropy", "mean_squared_error"] {
            session.succeed("compile net optimizer adam loss \(loss)")
            let source = "h = fit net on data.train epochs 1"
            let error = try XCTUnwrap(session.fail(source))
            if loss == "categorical_crossentropy" {
                XCTAssertEqual(error.message, "categorical_crossentropy needs one-hot targets, these images have class labels")
                XCTAssertEqual(error.hint, "one-hot encode them first (Keras's to_categorical): data = onehot data; or compile with sparse_categorical_crossentropy")
                XCTAssertEqual(error.span.column, 16)
            } else {
                XCTAssertEqual(error.message, "\(loss) needs targets of the output's shape (None, 10), the data has class indices")
                XCTAssertEqual(error.hint, "use sparse_categorical_crossentropy for integer class labels")
                XCTAssertEqual(error.span.column, 5)
            }
            XCTAssertEqual(net.parameters.map { $0.value.scalars }, weights)
            XCTAssertNil(session["h"])
            XCTAssertEqual(session.fail("evaluate net on data.test")?.message, error.message)
        }
    }

    func testTrainingThatDivergesLeavesAUsableSession() throws {
        let session = try SessionHarness.makeSession(trainCount: 32, testCount: 8)
        // Pixels of 1e300 overflow Float32: the loss becomes NaN from the first batch.
        session.succeed("data = load shapes\nbig = data * 1e300\nmodel n { input 32x32x3; conv 2 3x3; flatten; dense 10 softmax }")
        session.succeed("compile n optimizer adam loss sparse_categorical_crossentropy metrics accuracy")
        session.succeed("h = fit n on big.train epochs 1")
        guard case .history(let h) = try XCTUnwrap(session["h"]) else { return XCTFail("not a history") }
        XCTAssertTrue(h.loss[0].isNaN)
        XCTAssertEqual(session.fail("plot h loss")?.message, "a chart needs at least one finite point to draw")
        // Pictures of non-finite numbers are still drawn; the session goes on.
        XCTAssertEqual(session.succeed("filters n.layers[1]").figures.count, 1)
        XCTAssertEqual(session.succeed("features n.layers[1] of big.train[0]").figures.count, 1)
        XCTAssertEqual(session.succeed("show big.train[0..<2]").figures.count, 1)
        XCTAssertEqual(session.succeed("x = 1 + 1\nx").text, "2")
    }

    func testWeightsOfAnotherModelAreRefusedAndNothingChanges() throws {
        let session = try SessionHarness.makeSession()
        session.succeed("model a { input 8x8x1; flatten; dense 10 softmax }\nmodel b { input 8x8x1; flatten; dense 4 softmax }")
        let path = session.outputDirectory + "/a.cnnbw"
        session.succeed("save a weights \"\(path)\"")
        guard case .model(let b) = try XCTUnwrap(session["b"]) else { return XCTFail("not a model") }
        let weights = b.parameters.map { $0.value.scalars }
        let source = "load b weights \"\(path)\""
        let error = try XCTUnwrap(session.fail(source))
        XCTAssertEqual(error.message, "\(path) has dense/kernel of shape (64, 10), model b needs (64, 4)")
        XCTAssertEqual(error.hint, "load weights saved from a model with the same layers")
        XCTAssertEqual(error.span.column, 16)
        XCTAssertEqual(b.parameters.map { $0.value.scalars }, weights)
        // A file that is not a weight file.
        let junk = session.outputDirectory + "/junk.cnnbw"
        try Data("not weights".utf8).write(to: URL(fileURLWithPath: junk))
        let junkError = try XCTUnwrap(session.fail("load b weights \"\(junk)\""))
        XCTAssertTrue(junkError.message.contains(junk), junkError.message)
        XCTAssertEqual(b.parameters.map { $0.value.scalars }, weights)
        // Saving into a folder that does not exist leaves no file and names the path.
        let saveError = try XCTUnwrap(session.fail("save b weights \"nonexistent/dir/b.cnnbw\""))
        XCTAssertTrue(saveError.message.hasPrefix("cannot write \(session.outputDirectory)/nonexistent/dir/b.cnnbw"), saveError.message)
        XCTAssertEqual(saveError.hint, "check that the folder exists and is writable")
    }
}
