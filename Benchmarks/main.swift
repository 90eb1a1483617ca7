import Foundation

// cnnb-bench: prints one key=value per line.
print("sgemm_gflops=\(String(format: "%.1f", measureSgemmGflops()))")
