// CBLAS: OpenBLAS on Linux, Accelerate on macOS.
#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
static inline void cnnb_blas_set_threads(int n) { (void)n; }
#else
#include <cblas.h>
static inline void cnnb_blas_set_threads(int n) { openblas_set_num_threads(n); }
#endif
