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

/// "avx512", "avx2" or "baseline": the loops in use.
const char *cnnb_kernels_name(void);

/// Restricts the loops to at most `level` (0 baseline, 1 AVX2, 2 AVX-512) within what the
/// processor runs; returns the level in use. For tests comparing the variants.
int cnnb_kernels_limit(int level);

/// Max of every window of `items` items; with `argmax`, also the index within its item of each
/// winner. A later element wins only when strictly greater; windows are clipped to the input.
void cnnb_max_pool_forward(const float *input, float *output, int32_t *argmax, cnnb_window g, int items);

/// dLoss/dInput of max pooling from dLoss/dOutput and the winners `cnnb_max_pool_forward`
/// recorded: each output's gradient goes to its winner, summed where windows overlap.
void cnnb_max_pool_backward(const float *gradient, const int32_t *argmax, float *dInput, cnnb_window g, int items);

/// Direct convolution of `items` items (channels-last) with `kernel` ((window..., channels) x
/// filters, Keras's layout) onto `bias` (or zero when NULL), then relu when `relu` is set:
/// positions x filters per item. For kernels over few input channels, whose im2col rows are too
/// short for GEMM to run well. `scratch`: cnnb_direct_scratch_floats floats.
void cnnb_direct_convolution(const float *input, const float *kernel, const float *bias, float *output,
                             cnnb_window g, int filters, int relu, int items, float *scratch);

/// Adds the kernel gradient of `items` items to `kernelGradient`, and the bias gradient to
/// `biasGradient` unless NULL. `gradient` (positions x filters per item) is dLoss/d(pre-activation),
/// or with `reluOutput` (the layer's output after relu) dLoss/dOutput, masked where the output
/// is not positive on the way: the relu derivative without writing it out for the whole batch.
/// `scratch` as above.
void cnnb_direct_kernel_gradient(const float *input, const float *gradient, const float *reluOutput, float *kernelGradient,
                                 float *biasGradient, cnnb_window g, int filters, int items, float *scratch);

/// Window elements (window size x channels) the direct convolution takes at most.
#define CNNB_DIRECT_MAX_DEPTH 512

/// Floats of scratch the direct convolution needs: one item with its padding, and one item's
/// masked gradient.
long cnnb_direct_scratch_floats(cnnb_window g, int filters);

#endif
