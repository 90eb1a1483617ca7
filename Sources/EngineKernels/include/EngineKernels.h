#ifndef CNNB_ENGINE_KERNELS_H
#define CNNB_ENGINE_KERNELS_H

#include <stdint.h>

/// The engine's hot loops that BLAS does not run, compiled for AVX-512, for AVX2 with FMA and
/// for the baseline processor; the first call picks the widest the processor runs, so one
/// binary runs everywhere.

/// Passed by value: a few dozen bytes, and Swift callers need no pointer to keep alive.
/// A window layer's geometry over (depth, height, width) and channels, as the engine's
/// WindowGeometry holds it (unused leading axes are 1).
typedef struct {
    int channels;
    int input[3];
    int window[3];
    int stride[3];
    int pad[3];
    int dilation[3];
    int output[3];
} cnnb_window;

/// The processors this process may run on (its affinity mask), or a large number when unknown.
int cnnb_allowed_processors(void);

/// Tells the processor the calling thread is spinning on a shared variable (x86's `pause`).
static inline void cnnb_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Makes the calling thread flush subnormal floats (magnitudes below 1.2e-38) to zero, both
/// results and operands, and returns the control word `cnnb_restore_floating_point` puts back.
/// Processors take a slow path, often a hundred cycles or more, for each subnormal operation.
static inline uint64_t cnnb_flush_subnormals(void) {
#if defined(__x86_64__) || defined(__i386__)
    const unsigned saved = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(saved | 0x8040); // flush to zero (bit 15), operands as zero (bit 6)
    return saved;
#elif defined(__aarch64__)
    uint64_t saved;
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
    __asm__ volatile("msr fpcr, %0" : : "r"(saved | (1ULL << 24))); // FZ
    return saved;
#else
    return 0;
#endif
}

/// Puts back the control word `cnnb_flush_subnormals` returned.
static inline void cnnb_restore_floating_point(uint64_t saved) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_ldmxcsr((unsigned)saved);
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"(saved));
#else
    (void)saved;
#endif
}

/// "avx512", "avx2" or "baseline": the loops in use.
const char *cnnb_kernels_name(void);

/// Floats per vector of the loops in use: 16, 8 or 4.
int cnnb_kernels_vector_floats(void);

/// Restricts the loops to at most `level` (0 baseline, 1 AVX2, 2 AVX-512) within what the
/// processor runs; returns the level in use. For tests comparing the variants.
int cnnb_kernels_limit(int level);

/// One Adam step over `count` weights `w` with gradients `g` and moments `m`, `v`:
/// m += (g - m)·(1-β1); v += (g² - v)·(1-β2); w -= m·α / (√v + ε), α the step's bias-corrected
/// learning rate. The same bits with every instruction set.
void cnnb_adam_update(float *w, const float *g, float *m, float *v, long count, float alpha, float oneMinusBeta1,
                      float oneMinusBeta2, float epsilon);

/// Max of every window of `items` items; with `argmax`, also the index within its item of each
/// winner. A later element wins only when strictly greater; windows are clipped to the input.
void cnnb_max_pool_forward(const float *input, float *output, int32_t *argmax, cnnb_window g, int items);

/// dLoss/dInput of max pooling from dLoss/dOutput and the winners `cnnb_max_pool_forward`
/// recorded: each output's gradient goes to its winner, summed where windows overlap. With
/// `positive` (the pooling's output), only outputs above zero pass theirs on: relu's derivative
/// for an input that is a relu's output, since each output is its winner's value.
void cnnb_max_pool_backward(const float *gradient, const int32_t *argmax, const float *positive, float *dInput,
                            cnnb_window g, int items);

/// Adds the column sums of a `rows` x `columns` matrix onto `sums` (a bias gradient), each column
/// summed row by row in order, as a plain loop would.
void cnnb_add_column_sums(const float *matrix, long rows, int columns, float *sums);

/// Direct convolution of `items` items (channels-last) with `kernel` ((window..., channels) x
/// filters, Keras's layout) onto `bias` (or zero when NULL), then relu when `relu` is set:
/// positions x filters per item. Filters sit in vector lanes and a tile of output positions in
/// registers through the whole window, so no im2col matrix is written and read back.
/// `scratch`: cnnb_direct_scratch_floats floats.
void cnnb_direct_convolution(const float *input, const float *kernel, const float *bias, float *output,
                             cnnb_window g, int filters, int relu, int items, float *scratch);

/// Adds the kernel gradient of `items` items to `kernelGradient`, and the bias gradient to
/// `biasGradient` unless NULL. `gradient` (positions x filters per item) is dLoss/d(pre-activation),
/// or with `reluOutput` (the layer's output after relu) dLoss/dOutput, masked where the output
/// is not positive on the way: the relu derivative without writing it out for the whole batch.
/// `scratch` as above.
void cnnb_direct_kernel_gradient(const float *input, const float *gradient, const float *reluOutput, float *kernelGradient,
                                 float *biasGradient, cnnb_window g, int filters, int items, float *scratch);

/// Window elements (kernel positions, each over every channel) the direct loops take at most.
#define CNNB_DIRECT_MAX_WINDOW 1024

/// Whether the direct loops take this geometry (a window of at most CNNB_DIRECT_MAX_WINDOW elements).
int cnnb_direct_applies(cnnb_window g);

/// Floats of scratch the direct loops need for a block of `items` items: the items copied inside
/// their padding (when there is any) and their masked gradient.
long cnnb_direct_scratch_floats(cnnb_window g, int filters, int items);

/// Whether `cnnb_direct_input_gradient` takes this geometry: stride 1 on every axis (any
/// dilation; valid, same or causal padding).
int cnnb_direct_input_gradient_applies(cnnb_window g);

/// The kernel as the input gradient convolves with it: every window axis reversed and each
/// element's (channels x filters) block transposed, `filters` x `g.channels`.
void cnnb_direct_flip_kernel(const float *kernel, float *flipped, cnnb_window g, int filters);

/// dLoss/dInput of a stride-1 convolution for `items` items, from `gradient` (dLoss/d(pre-activation),
/// positions x filters per item) and the flipped kernel: the convolution of the padded
/// gradient with it, written over `dInput`. `scratch`: cnnb_direct_input_gradient_scratch_floats floats.
void cnnb_direct_input_gradient(const float *gradient, const float *flipped, float *dInput, cnnb_window g, int filters,
                                int items, float *scratch);

long cnnb_direct_input_gradient_scratch_floats(cnnb_window g, int filters, int items);

/// Whether the Winograd loops take this geometry: a 2D 3x3 window, stride 1, no dilation.
int cnnb_winograd_applies(cnnb_window g);

/// Products of the Winograd loops of output tile `tile` (2 or 4) over one item, per channel and
/// filter: (tile + 2)² a tile, every tile whole however much of it hangs past the map.
long cnnb_winograd_products(cnnb_window g, int tile);

/// The output tile of the Winograd loops for this geometry: 4 (F(4x4, 3x3), 36 products a tile
/// of 16 outputs) when its tiles take fewer products than 2's (F(2x2, 3x3), 16 a tile of 4), as on
/// maps of 4, 7, 8, 13 or 15 outputs a side; else 2. A tile hanging past the map still costs them all.
int cnnb_winograd_tile(cnnb_window g);

long cnnb_winograd_kernel_floats(int tile, int channels, int filters);

/// The kernel ((3, 3, channels) x filters, Keras's layout) as the Winograd loops of output tile
/// `tile` multiply with it: G k Gᵀ, (tile + 2)² matrices of channels x filters in
/// cnnb_winograd_kernel_floats floats. Only the rows of channels [first, first + count), so that
/// threads can share the work.
void cnnb_winograd_kernel(const float *kernel, float *transformed, int tile, int channels, int filters, int first,
                          int count);

/// Floats of scratch `cnnb_winograd_convolution` needs for `items` items: the items inside
/// their padding and a group of tiles' transforms.
long cnnb_winograd_scratch_floats(cnnb_window g, int filters, int items, int tile);

/// `cnnb_direct_convolution`'s result by Winograd F(tile x tile, 3x3), tile 2 or 4: 2.25 or 4
/// times fewer multiplications for the price of transforms and rounding differences (a few
/// units in the last place with 2; F(4x4)'s larger transform constants lose a little more).
void cnnb_winograd_convolution(const float *input, const float *transformed, const float *bias, float *output,
                               cnnb_window g, int filters, int relu, int items, float *scratch, int tile);

/// The backward pass of cnnb_winograd_convolution over `items` items, from their inputs and
/// `gradient` (dLoss/d(pre-activation), positions x filters per item), as its adjoint on the
/// same tiles (2.25 or 4 times fewer multiplications than the direct loops):
/// - the kernel gradient, added onto `sums` in Winograd's terms (cnnb_winograd_kernel_floats
///   floats), or written over them unless `accumulate` (the first block: no need to clear them);
///   cnnb_winograd_kernel_gradient_finish turns them into the kernel gradient once every block is in;
/// - when `dInput` is not NULL, the input gradient, written over `dInput` (items x input
///   positions x channels), with `transposed` the forward's transformed kernel with each
///   element's matrix transposed (cnnb_winograd_transpose). On a map that one tile covers, this
///   takes a quarter of the products of the column GEMM.
/// `scratch`: cnnb_winograd_backward_scratch_floats floats.
void cnnb_winograd_backward(const float *input, const float *gradient, float *sums, const float *transposed,
                            float *dInput, cnnb_window g, int filters, int items, float *scratch, int tile, int accumulate);

long cnnb_winograd_backward_scratch_floats(cnnb_window g, int filters, int items, int tile);

/// kernelGradient ((3, 3, channels) x filters) += Gᵀ S G of the sums, for the channels
/// [first, first + count).
void cnnb_winograd_kernel_gradient_finish(const float *sums, float *kernelGradient, int tile, int channels, int filters,
                                          int first, int count);

/// A transformed kernel (cnnb_winograd_kernel) with each element's channels x filters matrix
/// transposed to filters x channels (cnnb_winograd_kernel_floats(tile, filters, channels)
/// floats), for the elements [first, first + count) of the (tile + 2)².
void cnnb_winograd_transpose(const float *transformed, float *transposed, int channels, int filters, int first,
                             int count);

#endif
