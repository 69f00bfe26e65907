// Op codes shared with src/backend/native/codes.ts: an op's number is its index in these lists,
// the same as in native/src/ops.h, so the TypeScript side encodes calls to either addon alike.
// The loader compares the names the addon reports (info()) with its own tables.

#pragma once

namespace nabla_cuda {

#define NABLA_CUDA_UNARY_OPS(X)                                                                              \
  X(neg) X(abs) X(exp) X(log) X(sqrt) X(rsqrt) X(square) X(sin) X(cos) X(tan) X(atan) X(relu) X(sigmoid)   \
  X(tanh) X(sign) X(reciprocal) X(floor) X(ceil) X(round) X(trunc) X(logicalNot) X(expm1) X(log1p) X(erf) \
  X(softplus) X(softsign) X(gelu) X(geluTanh) X(isnan) X(isinf)

#define NABLA_CUDA_PARAM_OPS(X) X(powScalar) X(clamp) X(leakyRelu) X(elu) X(hardtanh) X(step) X(affine)

#define NABLA_CUDA_BINARY_OPS(X)                                                                              \
  X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(atan2) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) \
  X(logicalAnd) X(logicalOr) X(logicalXor) X(reluGrad)

#define NABLA_CUDA_REDUCE_OPS(X) X(sum) X(prod) X(max) X(min)

#define NABLA_CUDA_ENUM_ITEM(name) name,
enum class UnaryOp : int { NABLA_CUDA_UNARY_OPS(NABLA_CUDA_ENUM_ITEM) count };
enum class ParamOp : int { NABLA_CUDA_PARAM_OPS(NABLA_CUDA_ENUM_ITEM) count };
enum class BinaryOp : int { NABLA_CUDA_BINARY_OPS(NABLA_CUDA_ENUM_ITEM) count };
enum class ReduceOp : int { NABLA_CUDA_REDUCE_OPS(NABLA_CUDA_ENUM_ITEM) count };
#undef NABLA_CUDA_ENUM_ITEM

}  // namespace nabla_cuda
