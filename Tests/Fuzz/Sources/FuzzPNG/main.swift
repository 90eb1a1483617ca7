import Datasets
import Foundation
import FuzzSupport

/// PNG files as `load images from` reads them: decoded (by content, not name), alpha dropped
/// or grey made, resized to 5x7. The pixel limit is the real one's 1/128: a 1-megapixel image
/// decodes quickly, so the fuzzer spends its time on the decoder's paths rather than on pixels.
let choices: [ImageFolderOptions] = [false, true].map { grey in
    var options = ImageFolderOptions(height: 5, width: 7, seed: 1)
    options.grayscale = grey
    return options
}

func fuzzOne(_ bytes: [UInt8]) {
    let options = choices[bytes.count % 2]
    _ = try? ImageFolder.decode(bytes: bytes, name: "fuzz.png", options: options, maxPixels: ImageFolder.maxPixels / 128)
}

fuzz(fuzzOne)
