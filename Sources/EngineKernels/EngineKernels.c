#define _GNU_SOURCE
#include "EngineKernels.h"

#include <sched.h>
#include <string.h>

int cnnb_allowed_processors(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    return 1 << 20;
}

/// The input range [*lo, *hi) a window covers along `axis`, clipped to the input.
static inline __attribute__((always_inline)) void clipped(int o, const cnnb_window *g, int axis, int *lo, int *hi) {
    const int start = o * g->stride[axis] - g->pad[axis];
    *lo = start > 0 ? start : 0;
    const int end = start + g->window[axis];
    *hi = end < g->input[axis] ? end : g->input[axis];
}

/// Where the direct loops read a block of items: the input itself, or (when windows reach
/// padding) copies inside zeros, `size` elements on each axis, one after another; `window` holds
/// each window element's offset from a window's first element, in the kernel's (kd, kh, kw) order
/// (its channels follow contiguously).
typedef struct {
    int size[3];
    int padded;
    int windows;
    int channels;
    /// Floats of one item as the loops read it.
    long item;
    /// Where in the scratch the masked gradient goes, after the padded items.
    long scratch;
    long window[CNNB_DIRECT_MAX_WINDOW];
} direct_layout;

/// Every input a window of `g` reaches on `axis`, from the first window's start.
static inline int reach(const cnnb_window *g, int axis) {
    return (g->output[axis] - 1) * g->stride[axis] + (g->window[axis] - 1) * g->dilation[axis] + 1;
}

static long padded_item_floats(const cnnb_window *g) {
    long total = g->channels;
    for (int a = 0; a < 3; a++) total *= reach(g, a);
    return total;
}

static int needs_padding(const cnnb_window *g) {
    // Padding before, or after (a same window hanging over the end), needs the copy.
    for (int a = 0; a < 3; a++)
        if (g->pad[a] > 0 || reach(g, a) - g->pad[a] > g->input[a]) return 1;
    return 0;
}

static void prepare_direct(const cnnb_window *g, direct_layout *layout, int items, float *scratch) {
    layout->padded = needs_padding(g);
    for (int a = 0; a < 3; a++) layout->size[a] = layout->padded ? reach(g, a) : g->input[a];
    const int c = g->channels;
    layout->channels = c;
    layout->item = (long)layout->size[0] * layout->size[1] * layout->size[2] * c;
    int e = 0;
    for (int kd = 0; kd < g->window[0]; kd++)
        for (int kh = 0; kh < g->window[1]; kh++)
            for (int kw = 0; kw < g->window[2]; kw++)
                layout->window[e++] = (((long)kd * g->dilation[0] * layout->size[1] + (long)kh * g->dilation[1]) * layout->size[2]
                                       + (long)kw * g->dilation[2]) * c;
    layout->windows = e;
    layout->scratch = layout->padded ? layout->item * items : 0;
    // The border stays zero: the items fill only their interiors.
    if (layout->padded) memset(scratch, 0, sizeof(float) * (size_t)layout->scratch);
}

/// `items` items as the direct loops read them: the input, or copies inside their padding.
static const float *block_for_direct(const float *input, int items, const cnnb_window *g, const direct_layout *layout,
                                     float *scratch) {
    if (!layout->padded) return input;
    const int c = g->channels;
    const long itemIn = (long)g->input[0] * g->input[1] * g->input[2] * c;
    // Inputs past the last window's reach are never read (valid windows can leave some).
    const int d = g->input[0] < layout->size[0] - g->pad[0] ? g->input[0] : layout->size[0] - g->pad[0];
    const int h = g->input[1] < layout->size[1] - g->pad[1] ? g->input[1] : layout->size[1] - g->pad[1];
    const int w = g->input[2] < layout->size[2] - g->pad[2] ? g->input[2] : layout->size[2] - g->pad[2];
    for (int n = 0; n < items; n++) {
        const float *src = input + n * itemIn;
        float *dst = scratch + n * layout->item;
        for (int id = 0; id < d; id++)
            for (int ih = 0; ih < h; ih++)
                memcpy(dst + (((long)(id + g->pad[0]) * layout->size[1] + ih + g->pad[1]) * layout->size[2] + g->pad[2]) * c,
                       src + (((long)id * g->input[1] + ih) * g->input[2]) * c, sizeof(float) * (size_t)w * c);
    }
    return scratch;
}

/// Walks the output positions of a block's items in order, each with the offset (from the
/// block's start) of its window's first element: counters instead of a division per position.
typedef struct {
    int n, od, oh, ow;
    long base;
} position_walk;

static inline long walk_row(const cnnb_window *g, const direct_layout *layout, const position_walk *w) {
    return w->n * layout->item
           + (((long)w->od * g->stride[0] * layout->size[1] + (long)w->oh * g->stride[1]) * layout->size[2]) * layout->channels;
}

static inline position_walk walk_start(const cnnb_window *g, const direct_layout *layout) {
    position_walk w = {0, 0, 0, 0, 0};
    w.base = walk_row(g, layout, &w);
    return w;
}

static inline void walk_next(const cnnb_window *g, const direct_layout *layout, position_walk *w) {
    if (++w->ow < g->output[2]) {
        w->base += (long)g->stride[2] * layout->channels;
        return;
    }
    w->ow = 0;
    if (++w->oh == g->output[1]) {
        w->oh = 0;
        if (++w->od == g->output[0]) {
            w->od = 0;
            w->n++;
        }
    }
    w->base = walk_row(g, layout, w);
}

/// The input-gradient convolution of a stride-1 convolution `g` with `filters` filters: over
/// dLoss/dOutput (filters channels), the flipped kernel, padded so that every input position
/// gets the windows that read it.
static cnnb_window input_gradient_window(const cnnb_window *g, int filters) {
    cnnb_window t = *g;
    t.channels = filters;
    for (int a = 0; a < 3; a++) {
        t.input[a] = g->output[a];
        t.output[a] = g->input[a];
        t.stride[a] = 1;
        t.pad[a] = (g->window[a] - 1) * g->dilation[a] - g->pad[a];
    }
    return t;
}

/// How the Winograd loops of output tile M cover `items` items: TH x TW tiles an item, each item
/// copied inside zeros R x Q (M·TH + 2 x M·TW + 2) so that every tile reads whole inputs.
typedef struct {
    int TH, TW, R, Q;
    long itemTiles, tiles, itemPadded;
} winograd_tiling;

static inline winograd_tiling winograd_tiling_of(const cnnb_window *g, int M, int items) {
    winograd_tiling t;
    t.TH = (g->output[1] + M - 1) / M;
    t.TW = (g->output[2] + M - 1) / M;
    t.R = M * t.TH + 2;
    t.Q = M * t.TW + 2;
    t.itemTiles = (long)t.TH * t.TW;
    t.tiles = t.itemTiles * items;
    t.itemPadded = (long)t.R * t.Q * g->channels;
    return t;
}

/// Where an item lies inside its padding: `top` rows and `left` columns in, its first `rows` x
/// `columns` inputs inside the R x Q (the rest no tile reaches).
typedef struct {
    int top, left, rows, columns;
} winograd_interior;

static inline winograd_interior winograd_interior_of(const cnnb_window *g, const winograd_tiling *t) {
    const int H = g->input[1], W = g->input[2], top = g->pad[1], left = g->pad[2];
    winograd_interior in = {top, left, H < t->R - top ? H : t->R - top, W < t->Q - left ? W : t->Q - left};
    return in;
}

/// Every item inside a border of zeros (R x Q, see winograd_tiling), so
/// that a group of tiles can span items: small images still give the products many rows.
static void winograd_pad_items(const float *input, const cnnb_window *g, const winograd_tiling *t, int items,
                               float *padded) {
    const int c = g->channels, H = g->input[1], W = g->input[2];
    const winograd_interior in = winograd_interior_of(g, t);
    // Only the border is cleared: the interior is copied over at once.
    const size_t row = (size_t)t->Q * c, before = (size_t)in.left * c, after = (size_t)(t->Q - in.left - in.columns) * c;
    for (int n = 0; n < items; n++) {
        float *item = padded + n * t->itemPadded;
        memset(item, 0, sizeof(float) * row * (size_t)in.top);
        for (int ih = 0; ih < in.rows; ih++) {
            float *target = item + (size_t)(ih + in.top) * row;
            memset(target, 0, sizeof(float) * before);
            memcpy(target + before, input + (((long)n * H + ih) * W) * c, sizeof(float) * (size_t)in.columns * c);
            memset(target + before + (size_t)in.columns * c, 0, sizeof(float) * after);
        }
        memset(item + (size_t)(in.top + in.rows) * row, 0, sizeof(float) * row * (size_t)(t->R - in.top - in.rows));
    }
}

/// The interior of every padded item (as winograd_pad_items placed it) into `output`, items x
/// input positions x channels; inputs no tile reached get zero.
static void winograd_unpad_items(const float *padded, const cnnb_window *g, const winograd_tiling *t, int items,
                                 float *output) {
    const int c = g->channels, H = g->input[1], W = g->input[2];
    const winograd_interior in = winograd_interior_of(g, t);
    const size_t itemOut = (size_t)H * W * c, rowOut = (size_t)W * c, copied = (size_t)in.columns * c;
    for (int n = 0; n < items; n++) {
        float *item = output + n * itemOut;
        for (int ih = 0; ih < in.rows; ih++) {
            memcpy(item + ih * rowOut, padded + n * t->itemPadded + ((long)(ih + in.top) * t->Q + in.left) * c,
                   sizeof(float) * copied);
            memset(item + ih * rowOut + copied, 0, sizeof(float) * (rowOut - copied));
        }
        memset(item + (size_t)in.rows * rowOut, 0, sizeof(float) * (size_t)(H - in.rows) * rowOut);
    }
}

/// Tile `t` of a tiling as (item, tile row, tile column), stepped without division.
typedef struct {
    int n, ty, tx;
} winograd_tile_walk;

static inline winograd_tile_walk winograd_walk_from(const winograd_tiling *t, long tile) {
    winograd_tile_walk w = {(int)(tile / t->itemTiles), (int)(tile % t->itemTiles / t->TW), (int)(tile % t->TW)};
    return w;
}

static inline void winograd_walk_next(const winograd_tiling *t, winograd_tile_walk *w) {
    if (++w->tx < t->TW) return;
    w->tx = 0;
    if (++w->ty < t->TH) return;
    w->ty = 0;
    w->n++;
}

/// Where tile `w`'s (M + 2) x (M + 2) inputs start among the padded items.
static inline const float *winograd_tile_inputs(const float *padded, const winograd_tiling *t, const winograd_tile_walk *w,
                                                int M, int channels) {
    return padded + w->n * t->itemPadded + ((long)M * w->ty * t->Q + (long)M * w->tx) * channels;
}

/// Tile `w`'s first output position (as an offset in positions from the first item's first), and
/// how many of its M rows and M columns lie inside the map.
static inline long winograd_tile_outputs(const cnnb_window *g, const winograd_tile_walk *w, int M, int *down, int *right) {
    const int OH = g->output[1], OW = g->output[2], top = M * w->ty, left = M * w->tx;
    *down = OH - top < M ? OH - top : M;
    *right = OW - left < M ? OW - left : M;
    return ((long)w->n * OH + top) * OW + left;
}

/// Floats from one matrix of a transformed kernel to the next: a cache line more than the
/// channels x filters it holds.
static inline long winograd_plane(int channels, int filters) { return (long)channels * filters + 16; }

/// Tiles the Winograd loops transform and multiply at a time: enough rows for the register
/// tiles to reuse each weight many times, few enough that the group's matrices stay in cache.
static inline long winograd_group(int tile) { return tile == 4 ? 48 : 64; }

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

int cnnb_kernels_vector_floats(void) {
    switch (current_level()) {
    case 2: return 16;
    case 1: return 8;
    default: return 4;
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

long cnnb_direct_scratch_floats(cnnb_window g, int filters, int items) {
    const long positions = (long)g.output[0] * g.output[1] * g.output[2];
    const long padded = needs_padding(&g) ? padded_item_floats(&g) : 0;
    return (padded + positions * filters) * items;
}

int cnnb_direct_applies(cnnb_window g) {
    return (long)g.window[0] * g.window[1] * g.window[2] <= CNNB_DIRECT_MAX_WINDOW;
}

int cnnb_direct_input_gradient_applies(cnnb_window g) {
    if (!cnnb_direct_applies(g)) return 0;
    for (int a = 0; a < 3; a++)
        if (g.stride[a] != 1 || g.pad[a] > (g.window[a] - 1) * g.dilation[a]) return 0;
    return 1;
}

long cnnb_direct_input_gradient_scratch_floats(cnnb_window g, int filters, int items) {
    const cnnb_window t = input_gradient_window(&g, filters);
    return cnnb_direct_scratch_floats(t, g.channels, items);
}

void cnnb_direct_flip_kernel(const float *kernel, float *flipped, cnnb_window g, int filters) {
    const int c = g.channels;
    const long windows = (long)g.window[0] * g.window[1] * g.window[2];
    for (long w = 0; w < windows; w++) {
        // (kd, kh, kw) flipped on every axis is the window element counted from the end.
        const float *src = kernel + w * c * filters;
        float *dst = flipped + (windows - 1 - w) * filters * c;
        for (int ch = 0; ch < c; ch++)
            for (int f = 0; f < filters; f++) dst[(long)f * c + ch] = src[(long)ch * filters + f];
    }
}

int cnnb_winograd_applies(cnnb_window g) {
    return g.window[0] == 1 && g.window[1] == 3 && g.window[2] == 3 && g.input[0] == 1 && g.output[0] == 1
           && g.stride[1] == 1 && g.stride[2] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1;
}

long cnnb_winograd_products(cnnb_window g, int tile) {
    const winograd_tiling t = winograd_tiling_of(&g, tile, 1);
    return (long)(tile + 2) * (tile + 2) * t.itemTiles;
}

int cnnb_winograd_tile(cnnb_window g) {
    return cnnb_winograd_products(g, 4) < cnnb_winograd_products(g, 2) ? 4 : 2;
}

long cnnb_winograd_kernel_floats(int tile, int channels, int filters) {
    return (long)(tile + 2) * (tile + 2) * winograd_plane(channels, filters);
}

long cnnb_winograd_scratch_floats(cnnb_window g, int filters, int items, int tile) {
    const winograd_tiling t = winograd_tiling_of(&g, tile, items);
    const long elements = (long)(tile + 2) * (tile + 2);
    // V and M (or V and Z, the kernel gradient's, cache lines placed differently) for a group.
    return t.itemPadded * items + winograd_group(tile) * (elements * (g.channels + filters) + 32) + 16 * elements;
}

long cnnb_winograd_backward_scratch_floats(cnnb_window g, int filters, int items, int tile) {
    const winograd_tiling t = winograd_tiling_of(&g, tile, items);
    const long elements = (long)(tile + 2) * (tile + 2);
    // Beyond the forward's: the input gradient's elements for a group, and its padded items.
    return cnnb_winograd_scratch_floats(g, filters, items, tile) + winograd_group(tile) * (elements * g.channels + 16)
           + t.itemPadded * items;
}

void cnnb_winograd_kernel(const float *kernel, float *transformed, int tile, int channels, int filters, int first,
                          int count) {
    DISPATCH(winograd_kernel, kernel, transformed, tile, channels, filters, first, count)
}

void cnnb_winograd_convolution(const float *input, const float *transformed, const float *bias, float *output,
                               cnnb_window g, int filters, int relu, int items, float *scratch, int tile) {
    DISPATCH(winograd_convolution, input, transformed, bias, output, &g, filters, relu, items, scratch, tile)
}

void cnnb_winograd_backward(const float *input, const float *gradient, float *sums, const float *transposed,
                            float *dInput, cnnb_window g, int filters, int items, float *scratch, int tile, int accumulate) {
    DISPATCH(winograd_backward, input, gradient, sums, transposed, dInput, &g, filters, items, scratch, tile, accumulate)
}

void cnnb_winograd_transpose(const float *transformed, float *transposed, int channels, int filters, int first,
                             int count) {
    DISPATCH(winograd_transpose, transformed, transposed, channels, filters, first, count)
}

void cnnb_winograd_kernel_gradient_finish(const float *sums, float *kernelGradient, int tile, int channels, int filters,
                                          int first, int count) {
    DISPATCH(winograd_kernel_gradient_finish, sums, kernelGradient, tile, channels, filters, first, count)
}

void cnnb_direct_input_gradient(const float *gradient, const float *flipped, float *dInput, cnnb_window g, int filters,
                                int items, float *scratch) {
    const cnnb_window t = input_gradient_window(&g, filters);
    cnnb_direct_convolution(gradient, flipped, NULL, dInput, t, g.channels, 0, items, scratch);
}

void cnnb_adam_update(float *w, const float *g, float *m, float *v, long count, float alpha, float oneMinusBeta1,
                      float oneMinusBeta2, float epsilon) {
    DISPATCH(adam_update, w, g, m, v, count, alpha, oneMinusBeta1, oneMinusBeta2, epsilon)
}

void cnnb_max_pool_forward(const float *input, float *output, int32_t *argmax, cnnb_window g, int items) {
    DISPATCH(max_pool_forward, input, output, argmax, &g, items)
}

void cnnb_max_pool_backward(const float *gradient, const int32_t *argmax, const float *positive, float *dInput,
                            cnnb_window g, int items) {
    DISPATCH(max_pool_backward, gradient, argmax, positive, dInput, &g, items)
}

void cnnb_add_column_sums(const float *matrix, long rows, int columns, float *sums) {
    DISPATCH(add_column_sums, matrix, rows, columns, sums)
}

void cnnb_direct_convolution(const float *input, const float *kernel, const float *bias, float *output,
                             cnnb_window g, int filters, int relu, int items, float *scratch) {
    DISPATCH(direct_convolution, input, kernel, bias, output, &g, filters, relu, items, scratch)
}

void cnnb_direct_kernel_gradient(const float *input, const float *gradient, const float *reluOutput, float *kernelGradient,
                                 float *biasGradient, cnnb_window g, int filters, int items, float *scratch) {
    DISPATCH(direct_kernel_gradient, input, gradient, reluOutput, kernelGradient, biasGradient, &g, filters, items, scratch)
}
