// The addon's entry points, one per backend kernel (registered in addon.cc). Each decodes and
// validates its arguments (args.h) before queueing any work, and throws on a mismatch.

#pragma once

#include <node_api.h>

#include <string>

#include "args.h"

namespace nabla_cuda {

#define NABLA_CUDA_ENTRY(name) napi_value name(napi_env env, napi_callback_info info);
// elementwise_entry.cc
NABLA_CUDA_ENTRY(Copy) NABLA_CUDA_ENTRY(Fill) NABLA_CUDA_ENTRY(Unary) NABLA_CUDA_ENTRY(ParamUnary) NABLA_CUDA_ENTRY(Binary) NABLA_CUDA_ENTRY(Where)
// reduce_entry.cc
NABLA_CUDA_ENTRY(Reduce) NABLA_CUDA_ENTRY(ArgReduce) NABLA_CUDA_ENTRY(Softmax) NABLA_CUDA_ENTRY(SoftmaxBackward)
// pool_entry.cc
NABLA_CUDA_ENTRY(Pool) NABLA_CUDA_ENTRY(PoolBackward) NABLA_CUDA_ENTRY(MaxPoolBackward)
// norm_entry.cc
NABLA_CUDA_ENTRY(Moments) NABLA_CUDA_ENTRY(ChannelMoments) NABLA_CUDA_ENTRY(BatchNormApply) NABLA_CUDA_ENTRY(BatchNormBackward)
// indexing_entry.cc
NABLA_CUDA_ENTRY(IndexSelect) NABLA_CUDA_ENTRY(IndexAdd) NABLA_CUDA_ENTRY(Gather) NABLA_CUDA_ENTRY(ScatterAdd) NABLA_CUDA_ENTRY(Random)
// fused_entry.cc
NABLA_CUDA_ENTRY(AdamStep) NABLA_CUDA_ENTRY(SgdStep) NABLA_CUDA_ENTRY(CrossEntropyForward) NABLA_CUDA_ENTRY(CrossEntropyBackward)
// gemm_cublas.cc
NABLA_CUDA_ENTRY(Matmul)
// conv_cudnn.cc
NABLA_CUDA_ENTRY(Conv) NABLA_CUDA_ENTRY(ConvBackwardData) NABLA_CUDA_ENTRY(ConvBackwardFilter)
#undef NABLA_CUDA_ENTRY

/** Whether the matmul / conv entries were compiled with cuBLAS / cuDNN (else they throw). */
bool haveCublas();
bool haveCudnn();
/** "cuDNN 9.1.0" style version text, empty without cuDNN. */
std::string cudnnVersionText();
/** Apply the TF32 setting to the cuBLAS handle (if one exists); conv reads it per call. */
void applyTf32ToCublas();

// ---- shared shape rules ------------------------------------------------------------------------

inline void requireSameShape(const Args& a, const DView& x, const char* xn, const DView& y, const char* yn) {
  if (!sameShape(x, y)) a.fail(std::string(xn) + " " + shapeText(x) + " and " + yn + " " + shapeText(y) + " must have the same shape");
}

inline void requireDense(const Args& a, const DView& v, const char* name) {
  if (!v.dense()) a.fail(std::string(name) + " must be contiguous (shape " + shapeText(v) + ", strides " + shapeText(v.strides, v.ndim) + ")");
}

inline void requireFloat(const Args& a, const DView& v, const char* name) {
  if (v.dtype != kFloat32 && v.dtype != kFloat64) a.fail(std::string(name) + " must be float32 or float64, got " + dtypeName(v.dtype));
}

inline void requireDtype(const Args& a, const DView& v, const char* name, DType d) {
  if (v.dtype != d) a.fail(std::string(name) + " must be " + dtypeName(d) + ", got " + dtypeName(v.dtype));
}

inline void requireSameDtype(const Args& a, const DView& x, const char* xn, const DView& y, const char* yn) {
  if (x.dtype != y.dtype) a.fail(std::string(xn) + " (" + dtypeName(x.dtype) + ") and " + yn + " (" + dtypeName(y.dtype) + ") must have the same dtype");
}

/** A dense vector of `n` elements of dtype d (per-row / per-channel statistics and parameters). */
inline void requireVector(const Args& a, const DView& v, const char* name, int64_t n, DType d) {
  requireDtype(a, v, name, d);
  if (v.numel != n || !v.dense()) a.fail(std::string(name) + " must be a contiguous vector of " + std::to_string(n) + " elements, got shape " + shapeText(v));
}

}  // namespace nabla_cuda
