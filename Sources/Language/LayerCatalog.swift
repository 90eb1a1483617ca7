import Basics
import Foundation
import Engine

/// Every layer kind cnnb knows, one definition each: the words that name it, how it is written
/// and how it is built. See `LayerDefinition` for what an entry holds.
enum LayerCatalog {
    static let stride = Vocabulary.stride
    static let padding = Vocabulary.padding
    static let dilation = OptionSyntax("dilation", value: "dilation 2", placeholder: "D")

    static let definitions: [LayerDefinition] = [
        LayerDefinition("input", forms: LayerDefinition.single("input", keras: "InputLayer"),
                        arguments: [.required("SHAPE", "32x32x3")],
                        summary: "the shape of one input item; starts a model",
                        build: { arguments in
                            throw Diagnostic.error("input starts a model and is not a layer on its own", at: arguments.spec.span,
                                                   hint: "write it first inside model NAME { input 32x32x3; … }")
                        }),

        LayerDefinition("conv", forms: LayerDefinition.ranked("conv", keras: { "Conv\($0)D" }),
                        arguments: [.required("FILTERS", "32"), .required("KERNEL", "3", perAxis: true)],
                        activation: .optional, options: [stride, padding, dilation],
                        summary: "a convolution: FILTERS kernels slid over the input",
                        build: { a in
                            try Convolution(rank: a.rank, filters: try a.integer(0, what: "the number of filters"),
                                            kernelSize: try a.sizes(1, what: "the kernel size"),
                                            strides: try a.sizesOption("stride", what: "the stride") ?? [1],
                                            padding: try a.padding(), dilation: try a.sizesOption("dilation", what: "the dilation") ?? [1],
                                            activation: a.activation)
                        },
                        explain: { layer, e in
                            guard let conv = layer as? Convolution else { return [] }
                            let channels = e.inputShape[e.inputShape.count - 1]
                            let kernelVolume = conv.kernelSize.reduce(1, *) * channels
                            let weights = kernelVolume * conv.filters, biases = conv.useBias ? conv.filters : 0
                            let positions = e.outputShape.dropLast().reduce(1, *)
                            var lines = [
                                "channels: one per filter: \(channels) in → \(conv.filters) out",
                                "parameters: \(e.sizeText(conv.kernelSize)) x \(channels) x \(conv.filters) weights + \(biases) biases"
                                    + " = \(e.grouped(weights)) + \(biases) = \(e.grouped(weights + biases))",
                                "multiply-adds: \(e.outputShape.dropLast().map(String.init).joined(separator: " x ")) positions"
                                    + " x \(conv.filters) filters x \(kernelVolume) each = \(e.grouped(positions * conv.filters * kernelVolume))",
                            ]
                            if conv.activation != .linear { lines.append("activation: \(conv.activation.rawValue), applied to every output value") }
                            return lines
                        }),

        pooling("maxpool", also: "pool", kind: .max),
        pooling("avgpool", kind: .average),
        globalPooling("globalavgpool", kind: .average),
        globalPooling("globalmaxpool", kind: .max),

        LayerDefinition("dense", forms: LayerDefinition.single("dense", keras: "Dense"),
                        arguments: [.required("UNITS", "64")], activation: .optional,
                        summary: "every unit sees every input of the last axis",
                        build: { a in try Dense(units: try a.integer(0, what: "the number of units"), activation: a.activation) },
                        explain: { layer, e in
                            guard let dense = layer as? Dense else { return [] }
                            let inputs = e.inputShape[e.inputShape.count - 1]
                            let biases = dense.useBias ? dense.units : 0
                            return ["every one of the \(dense.units) units sees all \(inputs) inputs of the last axis",
                                    "parameters: \(inputs) x \(dense.units) weights + \(biases) biases = \(e.grouped(inputs * dense.units + biases))",
                                    "multiply-adds: \(e.grouped(layer.multiplyAdds(for: e.inputShape)))"]
                        }),

        LayerDefinition("flatten", forms: LayerDefinition.single("flatten", keras: "Flatten"),
                        summary: "lays every value of an item out in one row",
                        build: { _ in Flatten() },
                        explain: { _, e in
                            ["values laid out in one row: \(e.inputShape.map(String.init).joined(separator: " x ")) = \(e.grouped(e.inputShape.reduce(1, *)))",
                             "parameters: 0"]
                        }),

        LayerDefinition("dropout", forms: LayerDefinition.single("dropout", keras: "Dropout"),
                        arguments: [.required("RATE", "0.5")],
                        summary: "in training, zeroes each value with probability RATE",
                        build: { a in try Dropout(rate: Float(try a.number(0, what: "the dropout rate")), seed: a.seed()) }),

        LayerDefinition("activation", forms: LayerDefinition.single("activation", keras: "Activation"),
                        activation: .required,
                        summary: "applies an activation function to every value",
                        build: { a in ActivationLayer(a.activation) }),

        LayerDefinition("batchnorm", forms: LayerDefinition.single("batchnorm", keras: "BatchNormalization"),
                        options: [momentum, epsilon],
                        summary: "normalises each channel: batch statistics in training, moving ones in inference",
                        build: { a in
                            try BatchNormalization(momentum: Float(try a.numberOption("momentum", what: "the momentum") ?? 0.99),
                                                   epsilon: Float(try a.numberOption("epsilon", what: "epsilon") ?? 0.001))
                        },
                        explain: { layer, e in
                            guard let bn = layer as? BatchNormalization else { return [] }
                            let c = e.inputShape[e.inputShape.count - 1]
                            return ["each of the \(c) channels is normalised: (x - mean) / sqrt(variance + \(bn.epsilon)) x gamma + beta",
                                    "in training: the batch's mean and variance; the moving ones follow them, moving = moving x \(bn.momentum) + batch x \(String(format: "%g", 1 - Double("\(bn.momentum)")!))",
                                    "in inference: the moving mean and variance",
                                    "parameters: 4 x \(c) = \(e.grouped(4 * c)): gamma and beta trained, the moving mean and variance (\(e.grouped(2 * c))) not"]
                        }),

        LayerDefinition("zeropad", forms: LayerDefinition.ranked("zeropad", keras: { "ZeroPadding\($0)D" }),
                        arguments: [.optional("PADDING", "1", perAxis: true)],
                        summary: "adds PADDING zeros before and after each spatial axis",
                        build: { a in
                            try ZeroPadding(rank: a.rank, padding: a.count > 0 ? try a.sizes(0, what: "the padding") : [1])
                        }),

        LayerDefinition("upsample", forms: LayerDefinition.ranked("upsample", keras: { "UpSampling\($0)D" }),
                        arguments: [.optional("SIZE", "2", perAxis: true)],
                        summary: "repeats each position SIZE times along each spatial axis (nearest neighbour)",
                        build: { a in try UpSampling(rank: a.rank, size: a.count > 0 ? try a.sizes(0, what: "the size") : [2]) }),

        LayerDefinition("depthwiseconv", forms: LayerDefinition.ranked("depthwiseconv", keras: { "DepthwiseConv\($0)D" }, ranks: [1, 2]),
                        arguments: [.required("KERNEL", "3", perAxis: true)],
                        activation: .optional, options: [multiplier, stride, padding, dilation],
                        summary: "a convolution of each input channel on its own, MULTIPLIER kernels each",
                        build: { a in
                            try DepthwiseConvolution(rank: a.rank, kernelSize: try a.sizes(0, what: "the kernel size"),
                                                     strides: try a.sizesOption("stride", what: "the stride") ?? [1],
                                                     padding: try a.padding(),
                                                     depthMultiplier: try a.integerOption("multiplier", what: "the depth multiplier") ?? 1,
                                                     dilation: try a.sizesOption("dilation", what: "the dilation") ?? [1],
                                                     activation: a.activation)
                        },
                        explain: { layer, e in
                            guard let conv = layer as? DepthwiseConvolution else { return [] }
                            let c = e.inputShape[e.inputShape.count - 1], m = conv.depthMultiplier
                            let window = conv.kernelSize.reduce(1, *), biases = conv.useBias ? c * m : 0
                            return ["channels: each of the \(c) input channels has its own \(m) kernel\(m == 1 ? "" : "s"): \(c) in → \(c * m) out",
                                    "parameters: \(e.sizeText(conv.kernelSize)) x \(c) x \(m) weights + \(biases) biases = \(e.grouped(window * c * m + biases))",
                                    "multiply-adds: \(e.grouped(layer.multiplyAdds(for: e.inputShape)))"]
                        }),

        LayerDefinition("sepconv", forms: LayerDefinition.ranked("sepconv", keras: { "SeparableConv\($0)D" }, ranks: [1, 2]),
                        arguments: [.required("FILTERS", "32"), .required("KERNEL", "3", perAxis: true)],
                        activation: .optional, options: [multiplier, stride, padding, dilation],
                        summary: "a depthwise convolution, then a 1x1 convolution to FILTERS channels",
                        build: { a in
                            try SeparableConvolution(rank: a.rank, filters: try a.integer(0, what: "the number of filters"),
                                                     kernelSize: try a.sizes(1, what: "the kernel size"),
                                                     strides: try a.sizesOption("stride", what: "the stride") ?? [1],
                                                     padding: try a.padding(),
                                                     depthMultiplier: try a.integerOption("multiplier", what: "the depth multiplier") ?? 1,
                                                     dilation: try a.sizesOption("dilation", what: "the dilation") ?? [1],
                                                     activation: a.activation)
                        },
                        explain: { layer, e in
                            guard let conv = layer as? SeparableConvolution else { return [] }
                            let c = e.inputShape[e.inputShape.count - 1], m = conv.depthMultiplier, f = conv.filters
                            let window = conv.kernelSize.reduce(1, *), biases = conv.useBias ? f : 0
                            let plain = window * c * f + biases, separable = window * c * m + c * m * f + biases
                            return ["depthwise: each of the \(c) channels has its own \(e.sizeText(conv.kernelSize)) kernel\(m == 1 ? "" : "s") (x \(m)): \(e.grouped(window * c * m)) weights",
                                    "pointwise: a 1x1 convolution from \(c * m) to \(f) channels: \(e.grouped(c * m * f)) weights + \(biases) biases",
                                    "parameters: \(e.grouped(separable)) (a plain \(e.sizeText(conv.kernelSize)) convolution to \(f) filters has \(e.grouped(plain)))",
                                    "multiply-adds: \(e.grouped(layer.multiplyAdds(for: e.inputShape)))"]
                        }),

        LayerDefinition("convtranspose", forms: LayerDefinition.ranked("convtranspose", keras: { "Conv\($0)DTranspose" }),
                        arguments: [.required("FILTERS", "32"), .required("KERNEL", "3", perAxis: true)],
                        activation: .optional, options: [stride, padding],
                        summary: "a transposed convolution: each input position spreads over a window of the output",
                        build: { a in
                            try ConvolutionTranspose(rank: a.rank, filters: try a.integer(0, what: "the number of filters"),
                                                     kernelSize: try a.sizes(1, what: "the kernel size"),
                                                     strides: try a.sizesOption("stride", what: "the stride") ?? [1],
                                                     padding: try a.padding(), activation: a.activation)
                        },
                        explain: { layer, e in
                            guard let conv = layer as? ConvolutionTranspose else { return [] }
                            let rank = conv.rank, c = e.inputShape[rank]
                            var lines = ["kernel \(e.sizeText(conv.kernelSize)), stride \(e.sizeText(conv.strides)), padding \(conv.padding.rawValue)"]
                            for axis in 0..<rank {
                                let n = e.inputShape[axis], k = conv.kernelSize[axis], s = conv.strides[axis]
                                lines.append(conv.padding == .same
                                    ? "axis \(axis + 1): same: output = \(n) x \(s) = \(n * s)"
                                    : "axis \(axis + 1): valid: output = \(n) x \(s) + max(\(k) - \(s), 0) = \(n * s + max(k - s, 0))")
                            }
                            let weights = conv.kernelSize.reduce(1, *) * c * conv.filters, biases = conv.useBias ? conv.filters : 0
                            lines.append("parameters: \(e.sizeText(conv.kernelSize)) x \(conv.filters) x \(c) weights + \(biases) biases = \(e.grouped(weights + biases))")
                            return lines
                        }),

        LayerDefinition("rescaling", forms: LayerDefinition.single("rescaling", keras: "Rescaling"),
                        arguments: [.required("SCALE", "0.00392")], options: [offset],
                        summary: "multiplies every value by SCALE and adds OFFSET",
                        build: { a in
                            Rescaling(scale: Float(try a.number(0, what: "the scale")),
                                      offset: Float(try a.numberOption("offset", what: "the offset") ?? 0))
                        }),

        LayerDefinition("resizing", forms: LayerDefinition.single("resizing", keras: "Resizing"),
                        arguments: [.required("SIZE", "32x32")],
                        summary: "resizes each image to HEIGHTxWIDTH (bilinear)",
                        build: { a in
                            let size = try a.sizes(0, what: "the size", rank: 2)
                            return try Resizing(height: size[0], width: size[1])
                        }),

        LayerDefinition("centercrop", forms: LayerDefinition.single("centercrop", keras: "CenterCrop"),
                        arguments: [.required("SIZE", "24x24")],
                        summary: "keeps the central HEIGHTxWIDTH window of each image",
                        build: { a in
                            let size = try a.sizes(0, what: "the size", rank: 2)
                            return try CenterCrop(height: size[0], width: size[1])
                        }),

        LayerDefinition("randomflip", forms: LayerDefinition.single("randomflip", keras: "RandomFlip"),
                        arguments: [.optional("MODE", "horizontal")], words: FlipMode.allCases.map(\.rawValue),
                        summary: "in training, flips images left-right and/or top-bottom at random",
                        build: { a in
                            let mode = try a.bareWord(0).flatMap(FlipMode.init(rawValue:)) ?? {
                                guard a.count == 0 else {
                                    throw Diagnostic.error("randomflip takes horizontal, vertical or horizontal_and_vertical",
                                                           at: a.positionals[0].span, hint: "usage: \(a.syntax.usage)")
                                }
                                return .horizontalAndVertical
                            }()
                            return RandomFlip(mode: mode, seed: a.seed())
                        }),

        LayerDefinition("randomrotation", forms: LayerDefinition.single("randomrotation", keras: "RandomRotation"),
                        arguments: [.required("FACTOR", "0.1")],
                        summary: "in training, turns images by up to FACTOR of a full turn either way",
                        build: { a in try RandomRotation(factor: Float(try a.number(0, what: "the rotation factor")), seed: a.seed()) }),

        LayerDefinition("randomtranslation", forms: LayerDefinition.single("randomtranslation", keras: "RandomTranslation"),
                        arguments: [.required("HEIGHT", "0.1"), .required("WIDTH", "0.1")],
                        summary: "in training, shifts images by up to HEIGHT and WIDTH of their size",
                        build: { a in
                            try RandomTranslation(heightFactor: Float(try a.number(0, what: "the height factor")),
                                                  widthFactor: Float(try a.number(1, what: "the width factor")), seed: a.seed())
                        }),

        LayerDefinition("randomzoom", forms: LayerDefinition.single("randomzoom", keras: "RandomZoom"),
                        arguments: [.required("FACTOR", "0.2")],
                        summary: "in training, zooms images in or out by up to FACTOR",
                        build: { a in try RandomZoom(heightFactor: Float(try a.number(0, what: "the zoom factor")), seed: a.seed()) }),

        LayerDefinition("randomcontrast", forms: LayerDefinition.single("randomcontrast", keras: "RandomContrast"),
                        arguments: [.required("FACTOR", "0.2")],
                        summary: "in training, changes each image's contrast by up to FACTOR",
                        build: { a in try RandomContrast(factor: Float(try a.number(0, what: "the contrast factor")), seed: a.seed()) }),

        LayerDefinition("relu", forms: LayerDefinition.single("relu", keras: "ReLU"),
                        options: [maxValue],
                        summary: "max(x, 0), capped at MAX when given",
                        build: { a in try ReLU(maxValue: try a.numberOption("max", what: "the maximum").map(Float.init)) }),

        LayerDefinition("leakyrelu", forms: LayerDefinition.single("leakyrelu", keras: "LeakyReLU"),
                        options: [alpha],
                        summary: "x for x ≥ 0, ALPHA x below (Keras's slope 0.3)",
                        build: { a in try LeakyReLU(negativeSlope: Float(try a.numberOption("alpha", what: "the slope") ?? 0.3)) }),

        LayerDefinition("softmax", forms: LayerDefinition.single("softmax", keras: "Softmax"),
                        summary: "turns the last axis into probabilities that sum to 1",
                        build: { _ in Softmax() }),

        LayerDefinition("elu", forms: LayerDefinition.single("elu", keras: "ELU"),
                        options: [alpha],
                        summary: "x for x > 0, ALPHA (e^x - 1) below",
                        build: { a in ELU(alpha: Float(try a.numberOption("alpha", what: "alpha") ?? 1)) }),

        LayerDefinition("gaussiannoise", forms: LayerDefinition.single("gaussiannoise", keras: "GaussianNoise"),
                        arguments: [.required("STDDEV", "0.1")],
                        summary: "in training, adds noise of standard deviation STDDEV to every value",
                        build: { a in try GaussianNoise(stddev: Float(try a.number(0, what: "the standard deviation")), seed: a.seed()) }),

        LayerDefinition("prelu", forms: LayerDefinition.single("prelu", keras: "PReLU"),
                        summary: "x for x ≥ 0, a learned slope times x below (one slope per value, starting at 0)",
                        build: { _ in try PReLU() }),
        merge(.add, "adds its inputs element by element"),
        merge(.subtract, "the first input minus the second, element by element"),
        merge(.multiply, "multiplies its inputs element by element"),
        merge(.average, "the mean of its inputs, element by element"),
        merge(.maximum, "the largest of its inputs, element by element"),
        merge(.minimum, "the smallest of its inputs, element by element"),
        LayerDefinition("concat", forms: LayerDefinition.single("concat", keras: "Concatenate"),
                        options: [OptionSyntax("axis", value: "axis -1", placeholder: "N")],
                        summary: "joins its inputs along an axis (the last by default)",
                        build: { a in Concatenate(axis: try a.integerOption("axis", what: "the axis", minimum: -8) ?? -1) },
                        isMerge: true),
    ]

    static let momentum = OptionSyntax("momentum", value: "momentum 0.99", placeholder: "M")
    static let epsilon = OptionSyntax("epsilon", value: "epsilon 0.001", placeholder: "E")
    static let multiplier = OptionSyntax("multiplier", value: "multiplier 2", placeholder: "M")
    static let offset = OptionSyntax("offset", value: "offset -1", placeholder: "O")
    static let alpha = OptionSyntax("alpha", value: "alpha 0.3", placeholder: "A")
    static let maxValue = OptionSyntax("max", value: "max 6", placeholder: "MAX")

    /// `add a, b`: a merge layer of inputs of one shape.
    static func merge(_ operation: ElementwiseOperation, _ summary: String) -> LayerDefinition {
        let word = operation.rawValue
        return LayerDefinition(word, forms: LayerDefinition.single(word, keras: word.prefix(1).uppercased() + word.dropFirst()),
                               summary: summary, build: { _ in ElementwiseMerge(operation) }, isMerge: true)
    }

    static func pooling(_ stem: String, also synonym: String? = nil, kind: PoolingKind) -> LayerDefinition {
        let keras = { (rank: Int) in (kind == .max ? "MaxPooling" : "AveragePooling") + "\(rank)D" }
        var forms = LayerDefinition.ranked(stem, keras: keras)
        if let synonym { forms += LayerDefinition.ranked(synonym, keras: keras) }
        return LayerDefinition(stem, forms: forms, arguments: [.optional("POOL_SIZE", "2", perAxis: true)],
                               options: [stride, padding],
                               summary: "the \(kind == .max ? "largest" : "mean") value of each window",
                               build: { a in
                                   try Pooling(kind: kind, rank: a.rank,
                                               poolSize: a.count > 0 ? try a.sizes(0, what: "the pool size") : [2],
                                               strides: try a.sizesOption("stride", what: "the stride"), padding: try a.padding())
                               },
                               explain: { layer, e in
                                   guard let pool = layer as? Pooling else { return [] }
                                   return ["channels: pooled one by one, \(e.inputShape[e.inputShape.count - 1]) in → \(e.outputShape[e.outputShape.count - 1]) out",
                                           "each output is the \(pool.kind == .max ? "largest" : "mean") of its \(e.sizeText(pool.poolSize)) window"
                                               + (pool.padding == .same ? " (padded cells are left out)" : ""),
                                           "parameters: 0"]
                               })
    }

    static func globalPooling(_ stem: String, kind: PoolingKind) -> LayerDefinition {
        LayerDefinition(stem, forms: LayerDefinition.ranked(stem, keras: { (kind == .max ? "GlobalMaxPooling" : "GlobalAveragePooling") + "\($0)D" }),
                        summary: "each channel becomes one number: the \(kind == .max ? "largest" : "mean") of its values",
                        build: { a in try GlobalPooling(kind: kind, rank: a.rank) },
                        explain: { _, e in
                            let axes = e.inputShape.dropLast().map(String.init).joined(separator: " x ")
                            return ["each of the \(e.inputShape[e.inputShape.count - 1]) channels becomes one number: the \(kind == .max ? "largest" : "mean") of its \(axes) values",
                                    "parameters: 0"]
                        })
    }
}
