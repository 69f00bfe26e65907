// Entry points of the addon, one per backend kernel (registered in addon.cc). Each decodes and
// validates its arguments (checks.h) before touching memory, and throws on any mismatch.

#pragma once

#include <node_api.h>

#include <cstdint>

namespace nabla {

// elementwise.cc
napi_value Copy(napi_env env, napi_callback_info info);
napi_value Fill(napi_env env, napi_callback_info info);
napi_value Unary(napi_env env, napi_callback_info info);
napi_value ParamUnary(napi_env env, napi_callback_info info);
napi_value Binary(napi_env env, napi_callback_info info);
napi_value Where(napi_env env, napi_callback_info info);
// reduce.cc
napi_value Reduce(napi_env env, napi_callback_info info);
// matmul.cc
napi_value Matmul(napi_env env, napi_callback_info info);
// conv/entries.cc
/** Tuning hook: output planes with fewer positions than n run the batched-planes path (default 64); returns the previous n. */
int64_t setConvBatchedMaxPlane(int64_t n);
napi_value Conv(napi_env env, napi_callback_info info);
napi_value ConvReluMaxPool(napi_env env, napi_callback_info info);
napi_value ConvBackwardData(napi_env env, napi_callback_info info);
napi_value ConvBackwardFilter(napi_env env, napi_callback_info info);
napi_value ForceConvAlgorithm(napi_env env, napi_callback_info info);
napi_value ConvAlgorithmsUsed(napi_env env, napi_callback_info info);
// pool.cc
napi_value Pool(napi_env env, napi_callback_info info);
napi_value PoolBackward(napi_env env, napi_callback_info info);
napi_value MaxPoolBackward(napi_env env, napi_callback_info info);
// softmax.cc
napi_value Softmax(napi_env env, napi_callback_info info);
napi_value SoftmaxBackward(napi_env env, napi_callback_info info);
// norm.cc
napi_value Moments(napi_env env, napi_callback_info info);
napi_value ChannelMoments(napi_env env, napi_callback_info info);
napi_value BatchNormApply(napi_env env, napi_callback_info info);
napi_value BatchNormBackward(napi_env env, napi_callback_info info);
// random.cc
napi_value Random(napi_env env, napi_callback_info info);
// optim.cc (optional fused entries)
napi_value AdamStep(napi_env env, napi_callback_info info);
napi_value SgdStep(napi_env env, napi_callback_info info);
// cross_entropy.cc (optional fused entries)
napi_value CrossEntropy(napi_env env, napi_callback_info info);
napi_value CrossEntropyBackward(napi_env env, napi_callback_info info);
// recurrent.cc (optional fused entries)
napi_value RecurrentForward(napi_env env, napi_callback_info info);
napi_value RecurrentBackward(napi_env env, napi_callback_info info);
// argreduce.cc
napi_value ArgReduce(napi_env env, napi_callback_info info);
// indexing.cc
napi_value IndexSelect(napi_env env, napi_callback_info info);
napi_value IndexAdd(napi_env env, napi_callback_info info);
napi_value Gather(napi_env env, napi_callback_info info);
napi_value ScatterAdd(napi_env env, napi_callback_info info);
// detection.cc (optional entries: torchvision.ops)
napi_value Nms(napi_env env, napi_callback_info info);
napi_value RoiAlign(napi_env env, napi_callback_info info);
napi_value RoiAlignBackward(napi_env env, napi_callback_info info);
napi_value RoiPool(napi_env env, napi_callback_info info);
napi_value RoiPoolBackward(napi_env env, napi_callback_info info);

}  // namespace nabla
