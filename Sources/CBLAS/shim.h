// CBLAS: OpenBLAS on Linux, Accelerate on macOS.
#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
static inline void cnnb_blas_set_threads(int n) { (void)n; }
static inline const char *cnnb_blas_core_name(void) { return "Accelerate"; }
static inline int cnnb_blas_force_core(const char *name) { (void)name; return 0; }
#else
#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
static inline void cnnb_blas_set_threads(int n) { openblas_set_num_threads(n); }

// The kernel family OpenBLAS chose for this processor ("Haswell", "SkylakeX", …), or "" when
// the BLAS library is not OpenBLAS.
static inline const char *cnnb_blas_core_name(void) {
    char *(*name)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    return name ? name() : "";
}

// Re-runs a DYNAMIC_ARCH OpenBLAS's start-up choice of kernels as if OPENBLAS_CORETYPE were
// `name`. The entry points are looked up at run time because only DYNAMIC_ARCH builds have
// them; returns 0 (and changes nothing) without them. Must run before the first BLAS call.
static inline int cnnb_blas_force_core(const char *name) {
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init) return 0;
    const char *previous = getenv("OPENBLAS_CORETYPE");
    char *saved = previous ? strdup(previous) : NULL;
    setenv("OPENBLAS_CORETYPE", name, 1);
    quit();
    init();
    if (saved) { setenv("OPENBLAS_CORETYPE", saved, 1); free(saved); } else unsetenv("OPENBLAS_CORETYPE");
    return 1;
}
#endif
