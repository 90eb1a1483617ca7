import CBLAS
import Foundation

/// Which of OpenBLAS's kernel families the engine's GEMMs run on.
///
/// A DYNAMIC_ARCH OpenBLAS picks its kernels from the processor's model number; a model newer
/// than the library (an Emerald Rapids Xeon under Debian's OpenBLAS 0.3.21, say) falls back to
/// the 2004 "Prescott" SSE3 kernels, which run GEMM at a quarter of the AVX-512 rate. The
/// processor's feature flags say what it can run, so when OpenBLAS fell back, the engine asks
/// for the family those flags allow. A choice the user made with `OPENBLAS_CORETYPE` is kept.
public enum BLASKernel {
    /// The kernel family in use, e.g. "SkylakeX"; "" when the BLAS library does not say.
    public static var name: String {
        prepare()
        return String(cString: cnnb_blas_core_name())
    }

    /// Chooses the kernels once, before the first GEMM; later calls do nothing.
    public static func prepare() { _ = chosen }

    private static let chosen: Void = {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              String(cString: cnnb_blas_core_name()) == "Prescott",
              let family = family(forFlags: processorFlags()) else { return }
        _ = cnnb_blas_force_core(family)
    }()

    /// The OpenBLAS family for x86-64 feature flags as /proc/cpuinfo spells them, or nil when
    /// they promise nothing beyond the fallback.
    static func family(forFlags flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        if avx512 { return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The first processor's feature flags (Linux); empty elsewhere.
    static func processorFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
