/// Figures' inputs that need no data or model: what `cnnb-gallery` draws for a person to look
/// at after changing Render, and what Render's tests draw.
extension GridImage {
    /// A w x h RGB test pattern: each pixel's colour encodes its position.
    public static func pattern(width: Int, height: Int, seed: Int, caption: String? = nil) throws -> GridImage {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                bytes.append(UInt8((x * 37 + seed * 53) % 256))
                bytes.append(UInt8((y * 59 + seed * 11) % 256))
                bytes.append(UInt8(((x + y) * 23 + seed * 97) % 256))
            }
        }
        return try GridImage(width: width, height: height, channels: 3, bytes: bytes, caption: caption)
    }
}

extension ModelGraph {
    /// The seed lesson's CIFAR-10 model, as the language describes it.
    public static func seedLesson() throws -> ModelGraph {
        let rows: [(String, String, String, String)] = [
            ("input_layer", "InputLayer", "(None, 32, 32, 3)", "(None, 32, 32, 3)"),
            ("conv2d", "Conv2D", "(None, 32, 32, 3)", "(None, 30, 30, 32)"),
            ("max_pooling2d", "MaxPooling2D", "(None, 30, 30, 32)", "(None, 15, 15, 32)"),
            ("conv2d_1", "Conv2D", "(None, 15, 15, 32)", "(None, 13, 13, 64)"),
            ("max_pooling2d_1", "MaxPooling2D", "(None, 13, 13, 64)", "(None, 6, 6, 64)"),
            ("conv2d_2", "Conv2D", "(None, 6, 6, 64)", "(None, 4, 4, 64)"),
            ("flatten", "Flatten", "(None, 4, 4, 64)", "(None, 1024)"),
            ("dense", "Dense", "(None, 1024)", "(None, 64)"),
            ("dense_1", "Dense", "(None, 64)", "(None, 10)"),
        ]
        return try ModelGraph(nodes: rows.enumerated().map { index, row in
            GraphNode(name: row.0, type: row.1, inputShape: row.2, outputShape: row.3, parents: index == 0 ? [] : [index - 1])
        })
    }
}
