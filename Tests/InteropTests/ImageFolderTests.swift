import Datasets
import Foundation
import Interop
@testable import Language
import XCTest

/// Image folders against the Python peers: a folder Pillow writes (PNG of every colour type and
/// JPEG, odd sizes, a nested folder, a hidden one), listed and split as Keras's
/// `index_directory` lists them, decoded as Pillow decodes them, resized as Keras's
/// `ops.image.resize` resizes.
final class ImageFolderTests: XCTestCase {
    /// Writes the folder and, beside it, what the peers make of it: `order.txt` (Keras's shuffled
    /// paths and labels, seed 7) and `pixels.npz` (Pillow's RGB and L decode of each file, and
    /// Keras's bilinear resize of the RGB decode to 12x10).
    private func makeFolder() throws -> (folder: String, order: [(String, Int32)], reference: [String: NumpyArray]) {
        try PythonRuntime.require(["numpy", "PIL", "keras", "jax"], install: ["numpy", "Pillow", "keras", "jax"])
        let root = try temporaryFolder("images")
        let script = """
        import os, sys
        os.environ["KERAS_BACKEND"] = "jax"
        import numpy as np
        from PIL import Image
        root = sys.argv[1]
        folder = os.path.join(root, "pets")
        rng = np.random.RandomState(3)
        def save(path, mode, w, h, **kw):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            channels = {"RGB": 3, "RGBA": 4, "L": 1}.get(mode, 1)
            data = rng.randint(0, 256, size=(h, w, channels)).astype(np.uint8)
            if mode == "P":
                img = Image.fromarray(data[:, :, 0] % 5, "L").convert("P")
                img.putpalette([10, 200, 30, 250, 5, 90, 60, 60, 60, 0, 0, 255, 255, 255, 0] + [0] * 753)
            elif channels == 1:
                img = Image.fromarray(data[:, :, 0], "L")
            else:
                img = Image.fromarray(data, mode)
            img.save(path, **kw)
        save(f"{folder}/dogs/a.png", "RGB", 13, 7)
        save(f"{folder}/dogs/b.jpg", "RGB", 17, 9, quality=90)
        save(f"{folder}/dogs/c.PNG", "RGBA", 9, 11)
        save(f"{folder}/cats/z.png", "L", 10, 10)
        save(f"{folder}/cats/more/y.png", "P", 8, 6)
        save(f"{folder}/cats/k.jpeg", "L", 11, 5, quality=85)
        for i in range(6):
            save(f"{folder}/birds/{i}.png", "RGB", 5 + i, 4 + 2 * i)
        save(f"{folder}/.hidden/x.png", "RGB", 4, 4)
        open(f"{folder}/cats/notes.txt", "w").write("not an image")
        from keras.src.utils import dataset_utils
        paths, labels, names = dataset_utils.index_directory(folder, "inferred", (".bmp", ".gif", ".jpeg", ".jpg", ".png"),
                                                             shuffle=True, seed=7, verbose=False)
        assert names == ["birds", "cats", "dogs"], names
        with open(f"{root}/order.txt", "w") as f:
            for p, l in zip(paths, labels):
                f.write(f"{os.path.relpath(p, folder)} {l}\\n")
        import keras
        arrays = {}
        for p in paths:
            key = os.path.relpath(p, folder)
            rgb = np.asarray(Image.open(p).convert("RGB"))
            arrays[key + "/rgb"] = rgb.astype(np.float32)
            arrays[key + "/l"] = np.asarray(Image.open(p).convert("L")).astype(np.float32)
            resized = keras.ops.image.resize(rgb.astype(np.float32), (12, 10), interpolation="bilinear", antialias=False)
            arrays[key + "/resized"] = np.asarray(resized, dtype=np.float32)
        np.savez(f"{root}/pixels.npz", **arrays)
        print("ok")
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: "\(root)/make.py"))
        let run = try XCTUnwrap(PythonRuntime.run(["\(root)/make.py", root]))
        XCTAssertEqual(run.status, 0, run.errors)
        let lines = try String(contentsOfFile: "\(root)/order.txt", encoding: .utf8).split(separator: "\n")
        let order = lines.map { line -> (String, Int32) in
            let parts = line.split(separator: " ")
            return (String(parts[0]), Int32(parts[1])!)
        }
        var reference: [String: NumpyArray] = [:]
        for (name, array) in try Npz.read("\(root)/pixels.npz") { reference[name] = array }
        return ("\(root)/pets", order, reference)
    }

    func testDecodingMatchesPillowAndResizingMatchesKeras() throws {
        let (folder, order, reference) = try makeFolder()
        XCTAssertEqual(order.count, 12)
        for (path, _) in order {
            let image = try ImageFolder.decodeFile("\(folder)/\(path)")
            let rgb = image.channels == 4 ? ImageFolder.dropAlpha(image.pixels) : image.pixels
            let expected = try XCTUnwrap(reference[path + "/rgb"])
            XCTAssertEqual(expected.shape, [image.height, image.width, 3], path)
            // The same libjpeg-turbo islow decode as Pillow's, and libpng's: byte for byte.
            XCTAssertEqual(rgb.map(Float.init), expected.values, path)
            XCTAssertEqual(ImageFolder.grey(rgb, channels: 3).map(Float.init), reference[path + "/l"]?.values, path)
            let resized = ImageFolder.resizeBilinear(rgb, height: image.height, width: image.width, channels: 3, toHeight: 12, toWidth: 10)
            let keras = try XCTUnwrap(reference[path + "/resized"])
            // Keras keeps float32; cnnb rounds to bytes: within half a level, plus float rounding.
            for (mine, theirs) in zip(resized, keras.values) { XCTAssertEqual(Float(mine), theirs, accuracy: 0.5 + 1e-3, path) }
        }
    }

    func testLoadImagesListsShufflesAndSplitsAsKeras() throws {
        let (folder, order, reference) = try makeFolder()
        let session = Session(outputDirectory: try temporaryFolder("imagesout"))
        let result = session.run("pets = load images from \"\(folder)\" size 12x10 validation_split 0.25 seed 7")
        XCTAssertNil(result.error, "\(String(describing: result.error))")
        let text = result.outputs.compactMap { if case .text(let t) = $0 { return t } else { return nil } }
        XCTAssertEqual(text, ["Found 12 files belonging to 3 classes.\nUsing 9 files for training, 3 for validation."])
        guard case .dataset(let pets)? = session["pets"] else { return XCTFail("no dataset") }
        XCTAssertEqual(pets.classNames, ["birds", "cats", "dogs"])
        XCTAssertEqual(pets.train.count, 9)
        XCTAssertEqual(pets.test.count, 3)  // int(0.25 · 12), the last ones, as Keras's subset="validation"
        XCTAssertEqual(pets.train.labels + pets.test.labels, order.map(\.1))
        for (i, (path, _)) in order.enumerated() {
            let split = i < 9 ? pets.train : pets.test
            let pixels = Array(split.pixels(at: i < 9 ? i : i - 9))
            let keras = try XCTUnwrap(reference[path + "/resized"])
            for (mine, theirs) in zip(pixels, keras.values) { XCTAssertEqual(Float(mine), theirs, accuracy: 0.5 + 1e-3, path) }
        }
        XCTAssertNil(session.run("grey = load images from \"\(folder)\" size 8x8 grayscale seed 7").error)
        guard case .dataset(let grey)? = session["grey"] else { return XCTFail("no dataset") }
        XCTAssertEqual(grey.train.shape, [12, 8, 8, 1])
        XCTAssertEqual(grey.test.count, 0)
        XCTAssertEqual(session.run("print pets.classes").outputs.count, 1)
    }

    func testACorruptFileIsNamedOrSkippedWithAWarning() throws {
        let root = try temporaryFolder("corrupt")
        try FileManager.default.createDirectory(atPath: "\(root)/pets/cats", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/pets/dogs", withIntermediateDirectories: true)
        // One red pixel, as Pillow writes it.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
                            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
                            0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
                            0x00, 0x03, 0x01, 0x01, 0x00, 0xC9, 0xFE, 0x92, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
                            0x44, 0xAE, 0x42, 0x60, 0x82]
        try Data(png).write(to: URL(fileURLWithPath: "\(root)/pets/cats/red.png"))
        try Data(png).write(to: URL(fileURLWithPath: "\(root)/pets/dogs/red.png"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: URL(fileURLWithPath: "\(root)/pets/dogs/broken.jpg"))
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: "\(root)/pets/cats/anim.gif"))
        let session = Session(outputDirectory: try temporaryFolder("corruptout"))
        let failed = session.run("pets = load images from \"\(root)/pets\" size 4x4", file: "lesson.cnnb")
        let error = try XCTUnwrap(failed.error)
        // The first bad file in Keras's shuffled order is named.
        let gif = "\(root)/pets/cats/anim.gif: not a PNG or JPEG image (cnnb does not read GIF)"
        let jpeg = "\(root)/pets/dogs/broken.jpg: not a valid JPEG image (JPEG datastream contains no image)"
        XCTAssertTrue([gif, jpeg].contains(error.message), error.message)
        XCTAssertEqual(error.span.column, 25)
        XCTAssertEqual(error.hint, error.message == gif ? "convert it to PNG, remove it, or load with skip_invalid to leave such files out"
                                                        : "remove or replace the file, or load with skip_invalid to leave such files out")
        XCTAssertNil(session["pets"])
        let skipped = session.run("pets = load images from \"\(root)/pets\" size 4x4 skip_invalid", file: "lesson.cnnb")
        XCTAssertNil(skipped.error)
        let texts = skipped.outputs.compactMap { if case .text(let t) = $0 { return t } else { return nil } }
        XCTAssertEqual(texts.first, "Found 2 files belonging to 2 classes.")
        XCTAssertTrue(texts.last?.hasPrefix("lesson.cnnb:1:25: warning: skipped 2 files that did not decode: ") ?? false, texts.last ?? "")
        XCTAssertTrue(texts.last?.contains("broken.jpg: not a valid JPEG image") ?? false, texts.last ?? "")
        guard case .dataset(let pets)? = session["pets"] else { return XCTFail("no dataset") }
        // One red pixel, resized: every pixel red.
        XCTAssertEqual(Array(pets.train.pixels(at: 0)).prefix(3), [255, 0, 0])
    }
}
