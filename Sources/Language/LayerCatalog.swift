import Basics
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
                            if let option = a.option("dilation") {
                                throw Diagnostic.error("dilated convolutions are not supported", at: option.span, hint: "remove 'dilation'")
                            }
                            return try Convolution(rank: a.rank, filters: try a.integer(0, what: "the number of filters"),
                                                   kernelSize: try a.sizes(1, what: "the kernel size"),
                                                   strides: try a.sizesOption("stride", what: "the stride") ?? [1],
                                                   padding: try a.padding(), activation: a.activation)
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
