#include "EngineKernels.h"

#include <string.h>

/// The input range [*lo, *hi) a window covers along `axis`, clipped to the input.
static inline __attribute__((always_inline)) void clipped(int o, const cnnb_window *g, int axis, int *lo, int *hi) {
    const int start = o * g->stride[axis] - g->pad[axis];
    *lo = start > 0 ? start : 0;
    const int end = start + g->window[axis];
    *hi = end < g->input[axis] ? end : g->input[axis];
}

/// Window elements the direct convolution takes (the engine sends larger ones to im2col + GEMM).
#define MAX_DIRECT_DEPTH CNNB_DIRECT_MAX_DEPTH

/// Where the direct convolution reads one item: the input itself, or (when windows reach
/// padding) a copy inside zeros, `size` elements on each axis; `offsets` are the window elements' offsets from
/// a window's first element, in the kernel's (kd, kh, kw, channel) order.
typedef struct {
    int size[3];
    int padded;
    int depth;
    /// Where in the scratch the masked gradient of one item goes, after the padded item.
    long scratch;
    long offsets[MAX_DIRECT_DEPTH];
} direct_layout;

static long padded_item_floats(const cnnb_window *g) {
    long total = g->channels;
    for (int a = 0; a < 3; a++) {
        // Every input a window reaches, from the first window's start.
        const long reach = (long)(g->output[a] - 1) * g->stride[a] + (long)(g->window[a] - 1) * g->dilation[a] + 1;
        total *= reach;
    }
    return total;
}

static void prepare_direct(const cnnb_window *g, direct_layout *layout, float *scratch) {
    // Padding before, or after (a same window hanging over the end), needs the copy.
    int reach[3];
    layout->padded = 0;
    for (int a = 0; a < 3; a++) {
        reach[a] = (g->output[a] - 1) * g->stride[a] + (g->window[a] - 1) * g->dilation[a] + 1;
        if (g->pad[a] > 0 || reach[a] - g->pad[a] > g->input[a]) layout->padded = 1;
    }
    for (int a = 0; a < 3; a++) layout->size[a] = layout->padded ? reach[a] : g->input[a];
    const int c = g->channels;
    int e = 0;
    for (int kd = 0; kd < g->window[0]; kd++)
        for (int kh = 0; kh < g->window[1]; kh++)
            for (int kw = 0; kw < g->window[2]; kw++)
                for (int ch = 0; ch < c; ch++)
                    layout->offsets[e++] = (((long)kd * g->dilation[0] * layout->size[1] + (long)kh * g->dilation[1]) * layout->size[2]
                                            + (long)kw * g->dilation[2]) * c + ch;
    layout->depth = e;
    // The border stays zero: every item fills the same interior.
    layout->scratch = padded_item_floats(g);
    if (layout->padded) memset(scratch, 0, sizeof(float) * (size_t)layout->scratch);
}

/// Item `n` as the direct loops read it: copied inside its padding when there is any.
static const float *item_for_direct(const float *input, int n, const cnnb_window *g, const direct_layout *layout,
                                    float *scratch) {
    const int c = g->channels;
    const long itemIn = (long)g->input[0] * g->input[1] * g->input[2] * c;
    const float *src = input + n * itemIn;
    if (!layout->padded) return src;
    // Inputs past the last window's reach are never read (valid windows can leave some).
    const int d = g->input[0] < layout->size[0] - g->pad[0] ? g->input[0] : layout->size[0] - g->pad[0];
    const int h = g->input[1] < layout->size[1] - g->pad[1] ? g->input[1] : layout->size[1] - g->pad[1];
    const int w = g->input[2] < layout->size[2] - g->pad[2] ? g->input[2] : layout->size[2] - g->pad[2];
    for (int id = 0; id < d; id++)
        for (int ih = 0; ih < h; ih++)
            memcpy(scratch + (((long)(id + g->pad[0]) * layout->size[1] + ih + g->pad[1]) * layout->size[2] + g->pad[2]) * c,
                   src + (((long)id * g->input[1] + ih) * g->input[2]) * c, sizeof(float) * (size_t)w * c);
    return scratch;
}

#if defined(__x86_64__) && defined(__clang__)
#define VW 16
#define VARIANT(name) name##_avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#include "Kernels.inc"
#pragma clang attribute pop
#undef VW
#undef VARIANT

#define VW 8
#define VARIANT(name) name##_avx2
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "Kernels.inc"
#pragma clang attribute pop
#undef VW
#undef VARIANT
#define HAS_VARIANTS 1
#endif

#define VW 4
#define VARIANT(name) name##_baseline
#include "Kernels.inc"
#undef VW
#undef VARIANT

/// The widest loops the processor runs: 2 AVX-512, 1 AVX2 with FMA, 0 baseline.
static int supported_level(void) {
#ifdef HAS_VARIANTS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

static int level = -1;

static inline int current_level(void) {
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = supported_level();
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

int cnnb_kernels_limit(int limit) {
    const int supported = supported_level();
    const int l = limit < supported ? limit : supported;
    __atomic_store_n(&level, l < 0 ? 0 : l, __ATOMIC_RELAXED);
    return current_level();
}

const char *cnnb_kernels_name(void) {
    switch (current_level()) {
    case 2: return "avx512";
    case 1: return "avx2";
    default: return "baseline";
    }
}

#ifdef HAS_VARIANTS
#define DISPATCH(name, ...)                                    \
    switch (current_level()) {                                 \
    case 2: name##_avx512(__VA_ARGS__); return;                \
    case 1: name##_avx2(__VA_ARGS__); return;                  \
    default: name##_baseline(__VA_ARGS__); return;             \
    }
#else
#define DISPATCH(name, ...) name##_baseline(__VA_ARGS__);
#endif

long cnnb_direct_scratch_floats(cnnb_window g, int filters) {
    return padded_item_floats(&g) + (long)g.output[0] * g.output[1] * g.output[2] * filters;
}

void cnnb_max_pool_forward(const float *input, float *output, int32_t *argmax, cnnb_window g, int items) {
    DISPATCH(max_pool_forward, input, output, argmax, &g, items)
}

void cnnb_max_pool_backward(const float *gradient, const int32_t *argmax, float *dInput, cnnb_window g, int items) {
    DISPATCH(max_pool_backward, gradient, argmax, dInput, &g, items)
}

void cnnb_direct_convolution(const float *input, const float *kernel, const float *bias, float *output,
                             cnnb_window g, int filters, int relu, int items, float *scratch) {
    DISPATCH(direct_convolution, input, kernel, bias, output, &g, filters, relu, items, scratch)
}

void cnnb_direct_kernel_gradient(const float *input, const float *gradient, const float *reluOutput, float *kernelGradient,
                                 float *biasGradient, cnnb_window g, int filters, int items, float *scratch) {
    DISPATCH(direct_kernel_gradient, input, gradient, reluOutput, kernelGradient, biasGradient, &g, filters, items, scratch)
}
