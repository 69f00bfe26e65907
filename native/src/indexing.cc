// Index kernels on any strides: indexSelect / indexAdd (whole slices along one axis, picked by a 0-d
// or 1-d int32 index) and gather / scatterAdd (one element per index position). indexSelect and
// gather only move values, so they take every dtype (by element size); the adds take float32,
// float64 and int32 (wrapping, as an Int32Array store of cpu's exact sum does).
//
// Every index value is checked against the indexed dim before anything is written: a bad index
// throws and leaves the output as it was (the cpu kernels of gather/scatterAdd check as they go).
//
// Results equal the cpu backend's bit for bit and do not depend on the thread count: each output
// element receives its contributions in cpu's order (ascending index position), and threads split
// the work by output rows, so all positions that reach one element stay on one thread. A call
// whose output addresses an element twice or shares memory with an input runs on one thread in
// cpu's exact order of reads and writes.

#include <cstdint>
#include <cstring>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "overlap.h"
#include "scratch.h"
#include "walk.h"

namespace nabla {

namespace {

/** Element moves (or adds) below which a call stays on the calling thread. */
constexpr int64_t kParallelWork = 1 << 16;

std::string str(int64_t v) { return std::to_string(v); }

bool checkAxis(Args& args, int64_t axis, const View& v) {
  if (axis < v.ndim) return true;
  return args.fail("axis " + str(axis) + " is out of range for a view with " + str(v.ndim) + " dimension(s)");
}

bool checkIndexDtype(Args& args, const View& index) {
  if (index.dtype == kInt32) return true;
  return args.fail("index must be int32");
}

bool outOfRange(Args& args, int32_t v, int64_t axis, int64_t size) {
  return args.fail("index " + str(v) + " is out of range for dimension " + str(axis) + " of size " + str(size));
}

/** The adds: float32/float64 as the hardware rounds them, int32 wrapping modulo 2^32. */
bool checkAddDtypes(Args& args, const View& out, const View& src) {
  if (out.dtype != src.dtype) return args.fail("out and src must share a dtype");
  if (out.dtype == kBool) return args.fail("out and src must be float32, float64 or int32 (bool runs on the cpu kernel)");
  return true;
}

template <class T>
inline T addValues(T a, T b) { return a + b; }
template <>
inline int32_t addValues<int32_t>(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

/** a's first n entries without entry `axis`; returns how many were kept. */
int withoutAxis(const int64_t* a, int n, int64_t axis, int64_t* out) {
  int k = 0;
  for (int d = 0; d < n; d++)
    if (d != axis) out[k++] = a[d];
  return k;
}

/** A single row is cut into pieces only when it is at least this long (shorter pieces measured slower than one thread). */
constexpr int64_t kSplitRowAt = 8192;

/**
 * Run body over the walk's rows: on the calling thread in order when the call may not be split,
 * else over the pool when the work (positions × perPosition) is large enough. A single row is
 * split only when long: every piece repeats the whole loop over the index, and narrow pieces of
 * one row (an embedding gradient's) ran slower on two threads than on one.
 */
template <class Body>
void runRows(const Walk& w, const int64_t* base, bool mayParallel, int64_t perPosition, Body&& body) {
  if (!mayParallel || (w.rows() == 1 && w.rowLength() < kSplitRowAt)) {
    w.rowsInRange(base, 0, w.rows(), body);
    return;
  }
  int64_t at = kParallelWork / (perPosition < 1 ? 1 : perPosition);
  if (at < 64) at = 64;
  w.forEachRow(base, at, body);
}

// ---- indexSelect / indexAdd ------------------------------------------------------------------

/** The length of a 0-d or 1-d int32 index. */
bool sliceIndexLength(Args& args, const View& index, int64_t& m) {
  if (!checkIndexDtype(args, index)) return false;
  if (index.ndim > 1) return args.fail("index must be a 0-d or 1-d view, got " + str(index.ndim) + " dimensions");
  m = index.ndim == 0 ? 1 : index.shape[0];
  return true;
}

/** `other` has x's shape except along axis, where it has m entries. */
bool sliceShapes(Args& args, const View& x, const View& other, int64_t axis, int64_t m, const char* name) {
  bool ok = other.ndim == x.ndim;
  for (int d = 0; ok && d < x.ndim; d++) ok = other.shape[d] == (d == axis ? m : x.shape[d]);
  if (ok) return true;
  return args.fail(std::string(name) + " shape " + other.shapeText() + " does not match " + x.shapeText() + " with dimension " + str(axis) +
                   " of size " + str(m));
}

/**
 * The index as element offsets into the indexed view (value × its stride along axis), every value
 * checked first. The table is the calling thread's scratch, read by the pool's threads.
 */
bool sliceOffsets(Args& args, const View& index, int64_t m, int64_t axis, int64_t size, int64_t stride, const int64_t*& offsets) {
  int64_t* table = threadScratch(kStaging).get<int64_t>(m);
  if (!table) return args.fail("out of memory for the index table");
  const int64_t step = index.ndim == 0 ? 0 : index.strides[0];
  const int32_t* is = static_cast<const int32_t*>(index.data);
  for (int64_t j = 0; j < m; j++) {
    const int32_t v = is[index.offset + j * step];
    if (v < 0 || v >= size) return outOfRange(args, v, axis, size);
    table[j] = v * stride;
  }
  offsets = table;
  return true;
}

/** The rows of the dims other than axis, over `indexed` (operand 0) and `dense` (operand 1). */
Walk restWalk(const View& indexed, const View& dense, int64_t axis) {
  int64_t shape[kMaxDims], s0[kMaxDims], s1[kMaxDims];
  const int nd = withoutAxis(indexed.shape, indexed.ndim, axis, shape);
  withoutAxis(indexed.strides, indexed.ndim, axis, s0);
  withoutAxis(dense.strides, dense.ndim, axis, s1);
  const int64_t* strides[2] = {s0, s1};
  return Walk(shape, nd, strides, 2);
}

/**
 * cpu's loop order for a slice row: the index loop innermost when it walks the dense side with unit
 * stride and the row does not (only the order of writes to an aliased output depends on it).
 */
bool indexInnermost(const Walk& w, int64_t denseAxisStride) { return w.inner(1) != 1 && (denseAxisStride == 1 || denseAxisStride == -1); }

/**
 * out[..., j, ...] = x[..., index[j], ...]. Every j writes its own slice, so threads split the index
 * positions when there are many (an embedding lookup: few rows, many positions), else the rows.
 */
template <class T>
void selectSlices(const View& x, int64_t axis, const int64_t* offsets, int64_t m, const View& out, bool mayParallel) {
  const Walk w = restWalk(x, out, axis);
  const int64_t oa = out.strides[axis];
  const bool inner = indexInnermost(w, oa);
  const T* xs = static_cast<const T*>(x.data);
  T* os = static_cast<T*>(out.data);
  const int64_t base[2] = {x.offset, out.offset};
  auto positions = [&](int64_t j0, int64_t j1) {
    return [&, j0, j1](const int64_t* off, int64_t n, const int64_t* in) {
      const int64_t sx = in[0], so = in[1];
      if (inner) {
        for (int64_t k = 0; k < n; k++) {
          const int64_t xr = off[0] + k * sx, orow = off[1] + k * so;
          for (int64_t j = j0; j < j1; j++) os[orow + j * oa] = xs[xr + offsets[j]];
        }
        return;
      }
      for (int64_t j = j0; j < j1; j++) {
        const int64_t xr = off[0] + offsets[j], orow = off[1] + j * oa;
        // Whole contiguous rows (an embedding lookup) move as one block, as cpu's TypedArray.set.
        if (sx == 1 && so == 1 && n >= 16) std::memmove(os + orow, xs + xr, static_cast<size_t>(n) * sizeof(T));
        else for (int64_t k = 0; k < n; k++) os[orow + k * so] = xs[xr + k * sx];
      }
    };
  };
  const int threads = numThreads();
  if (mayParallel && threads > 1 && w.total * m >= kParallelWork && m >= 4 * threads && w.rows() < 2 * threads) {
    int64_t grain = kParallelWork / (2 * (w.total > 0 ? w.total : 1));
    parallelRanges(m, grain < 1 ? 1 : grain, [&](int64_t j0, int64_t j1, int) { w.rowsInRange(base, 0, w.rows(), positions(j0, j1)); });
    return;
  }
  runRows(w, base, mayParallel, m, positions(0, m));
}

/** out[..., index[j], ...] += src[..., j, ...], repeated indices in ascending j. */
template <class T>
void addSlices(const View& out, int64_t axis, const int64_t* offsets, int64_t m, const View& src, bool mayParallel) {
  const Walk w = restWalk(out, src, axis);
  const int64_t sa = src.strides[axis];
  const bool inner = indexInnermost(w, sa);
  T* os = static_cast<T*>(out.data);
  const T* ss = static_cast<const T*>(src.data);
  const int64_t base[2] = {out.offset, src.offset};
  runRows(w, base, mayParallel, m, [&](const int64_t* off, int64_t n, const int64_t* in) {
    const int64_t so = in[0], sd = in[1];
    if (inner) {
      for (int64_t k = 0; k < n; k++) {
        const int64_t orow = off[0] + k * so, sr = off[1] + k * sd;
        for (int64_t j = 0; j < m; j++) {
          T& o = os[orow + offsets[j]];
          o = addValues<T>(o, ss[sr + j * sa]);
        }
      }
      return;
    }
    for (int64_t j = 0; j < m; j++) {
      const int64_t orow = off[0] + offsets[j], sr = off[1] + j * sa;
      for (int64_t k = 0; k < n; k++) {
        T& o = os[orow + k * so];
        o = addValues<T>(o, ss[sr + k * sd]);
      }
    }
  });
}

// ---- gather / scatterAdd ---------------------------------------------------------------------

/**
 * gather/scatterAdd shapes (cpu's assertElementShapes): index has the rank of the indexed view
 * and is no larger on every dim but axis; the values (gather's out, scatterAdd's src) have index's
 * shape exactly (`exact`) or are no smaller than it.
 */
bool elementShapes(Args& args, const View& target, int64_t axis, const View& index, const View& values, const char* name, bool exact) {
  if (index.ndim != target.ndim || values.ndim != target.ndim) {
    return args.fail("index " + index.shapeText() + " and " + name + " " + values.shapeText() + " must have the rank of the indexed view " +
                     target.shapeText());
  }
  for (int d = 0; d < target.ndim; d++) {
    const int64_t v = values.shape[d], i = index.shape[d];
    if ((exact ? v != i : v < i) || (d != axis && i > target.shape[d])) {
      return args.fail("index " + index.shapeText() + " does not fit the indexed view " + target.shapeText() + " (dimension " + str(axis) +
                       " is indexed) and " + name + " " + values.shapeText());
    }
  }
  return true;
}

/** Every value of index in [0, size); the first bad one (in row-major order) is reported. */
bool checkIndexValues(Args& args, const View& index, int64_t axis, int64_t size) {
  const int64_t* strides[1] = {index.strides};
  const Walk w(index.shape, index.ndim, strides, 1);
  const int32_t* is = static_cast<const int32_t*>(index.data);
  const int64_t base[1] = {index.offset};
  int64_t bad = -1;
  w.rowsInRange(base, 0, w.rows(), [&](const int64_t* off, int64_t n, const int64_t* in) {
    if (bad >= 0) return;
    const int32_t* row = is + off[0];
    const int64_t s = in[0];
    bool any = false;
    for (int64_t k = 0; k < n; k++) any |= row[k * s] < 0 || row[k * s] >= size;
    if (!any) return;
    for (int64_t k = 0; k < n && bad < 0; k++)
      if (row[k * s] < 0 || row[k * s] >= size) bad = off[0] + k * s;
  });
  return bad < 0 || outOfRange(args, is[bad], axis, size);
}

/** v's strides with a zero along axis: an index value supplies that coordinate. */
void strideFreeAlong(const View& v, int64_t axis, int64_t* strides) {
  for (int d = 0; d < v.ndim; d++) strides[d] = d == axis ? 0 : v.strides[d];
}

/** out[p] = x[p with coordinate axis replaced by index[p]]; each out element is written once. */
template <class T>
void gatherTyped(const View& x, int64_t axis, const View& index, const View& out, bool mayParallel) {
  int64_t xs0[kMaxDims];
  strideFreeAlong(x, axis, xs0);
  const int64_t* strides[3] = {index.strides, out.strides, xs0};
  const Walk w(index.shape, index.ndim, strides, 3);
  const int32_t* is = static_cast<const int32_t*>(index.data);
  const T* xs = static_cast<const T*>(x.data);
  T* os = static_cast<T*>(out.data);
  const int64_t xa = x.strides[axis];
  const int64_t base[3] = {index.offset, out.offset, x.offset};
  auto body = [&](const int64_t* off, int64_t n, const int64_t* in) {
    const int64_t si = in[0], so = in[1], sx = in[2];
    for (int64_t k = 0; k < n; k++) os[off[1] + k * so] = xs[off[2] + k * sx + static_cast<int64_t>(is[off[0] + k * si]) * xa];
  };
  if (mayParallel) w.forEachRow(base, kParallelWork, body);
  else w.rowsInRange(base, 0, w.rows(), body);
}

/** out[p with coordinate axis replaced by index[p]] += src[p], positions p in row-major order per element. */
template <class T>
void scatterAddTyped(const View& out, int64_t axis, const View& index, const View& src, bool mayParallel) {
  const int32_t* is = static_cast<const int32_t*>(index.data);
  const T* ss = static_cast<const T*>(src.data);
  T* os = static_cast<T*>(out.data);
  const int64_t oa = out.strides[axis];
  int64_t total = 1;
  for (int d = 0; d < index.ndim; d++) total *= index.shape[d];
  if (!mayParallel || numThreads() == 1 || total < kParallelWork) {
    // cpu's walk: every index position in row-major order.
    int64_t os0[kMaxDims];
    strideFreeAlong(out, axis, os0);
    const int64_t* strides[3] = {index.strides, src.strides, os0};
    const Walk w(index.shape, index.ndim, strides, 3);
    const int64_t base[3] = {index.offset, src.offset, out.offset};
    w.rowsInRange(base, 0, w.rows(), [&](const int64_t* off, int64_t n, const int64_t* in) {
      const int64_t si = in[0], sd = in[1], so = in[2];
      for (int64_t k = 0; k < n; k++) {
        T& o = os[off[2] + k * so + static_cast<int64_t>(is[off[0] + k * si]) * oa];
        o = addValues<T>(o, ss[off[1] + k * sd]);
      }
    });
    return;
  }
  // Threads split the positions off the axis (distinct output elements); each adds its positions'
  // entries along the axis in ascending order, as the row-major walk does per element.
  int64_t shape[kMaxDims], si0[kMaxDims], sd0[kMaxDims], so0[kMaxDims];
  const int nd = withoutAxis(index.shape, index.ndim, axis, shape);
  withoutAxis(index.strides, index.ndim, axis, si0);
  withoutAxis(src.strides, src.ndim, axis, sd0);
  withoutAxis(out.strides, out.ndim, axis, so0);
  const int64_t* strides[3] = {si0, sd0, so0};
  const Walk w(shape, nd, strides, 3);
  const int64_t m = index.shape[axis], ia = index.strides[axis], sa = src.strides[axis];
  const int64_t base[3] = {index.offset, src.offset, out.offset};
  runRows(w, base, true, m, [&](const int64_t* off, int64_t n, const int64_t* in) {
    const int64_t si = in[0], sd = in[1], so = in[2];
    const bool axisInner = (ia < 0 ? -ia : ia) <= (si < 0 ? -si : si);
    if (axisInner) {
      for (int64_t k = 0; k < n; k++) {
        const int64_t ir = off[0] + k * si, sr = off[1] + k * sd, orow = off[2] + k * so;
        for (int64_t j = 0; j < m; j++) {
          T& o = os[orow + static_cast<int64_t>(is[ir + j * ia]) * oa];
          o = addValues<T>(o, ss[sr + j * sa]);
        }
      }
      return;
    }
    for (int64_t j = 0; j < m; j++) {
      const int64_t ir = off[0] + j * ia, sr = off[1] + j * sa;
      for (int64_t k = 0; k < n; k++) {
        T& o = os[off[2] + k * so + static_cast<int64_t>(is[ir + k * si]) * oa];
        o = addValues<T>(o, ss[sr + k * sd]);
      }
    }
  });
}

}  // namespace

napi_value IndexSelect(napi_env env, napi_callback_info info) {
  Args args(env, info, "indexSelect");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  View x, index, out;
  args.view(x, "x") && args.view(index, "index") && args.view(out, "out") && args.finish() && checkAxis(args, axis, x);
  if (!args.ok()) return nullptr;
  if (out.dtype != x.dtype) return args.fail("out must have x's dtype"), nullptr;
  int64_t m = 0;
  const int64_t* offsets = nullptr;
  if (!sliceIndexLength(args, index, m) || !sliceShapes(args, x, out, axis, m, "out") ||
      !sliceOffsets(args, index, m, axis, x.shape[axis], x.strides[axis], offsets))
    return nullptr;
  const bool mayParallel = addressesEachElementOnce(out) && !sharesMemory(out, x);
  switch (elementBytes(x.dtype)) {
    case 1: selectSlices<uint8_t>(x, axis, offsets, m, out, mayParallel); break;
    case 4: selectSlices<uint32_t>(x, axis, offsets, m, out, mayParallel); break;
    case 8: selectSlices<uint64_t>(x, axis, offsets, m, out, mayParallel); break;
  }
  return nullptr;
}

napi_value IndexAdd(napi_env env, napi_callback_info info) {
  Args args(env, info, "indexAdd");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  View out, index, src;
  args.view(out, "out") && args.view(index, "index") && args.view(src, "src") && args.finish() && checkAxis(args, axis, out) &&
      checkAddDtypes(args, out, src);
  if (!args.ok()) return nullptr;
  int64_t m = 0;
  const int64_t* offsets = nullptr;
  if (!sliceIndexLength(args, index, m) || !sliceShapes(args, out, src, axis, m, "src") ||
      !sliceOffsets(args, index, m, axis, out.shape[axis], out.strides[axis], offsets))
    return nullptr;
  const bool mayParallel = addressesEachElementOnce(out) && !sharesMemory(out, src);
  switch (out.dtype) {
    case kFloat32: addSlices<float>(out, axis, offsets, m, src, mayParallel); break;
    case kFloat64: addSlices<double>(out, axis, offsets, m, src, mayParallel); break;
    case kInt32: addSlices<int32_t>(out, axis, offsets, m, src, mayParallel); break;
    case kBool: break;
  }
  return nullptr;
}

napi_value Gather(napi_env env, napi_callback_info info) {
  Args args(env, info, "gather");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  View x, index, out;
  args.view(x, "x") && args.view(index, "index") && args.view(out, "out") && args.finish() && checkAxis(args, axis, x) &&
      checkIndexDtype(args, index) && elementShapes(args, x, axis, index, out, "out", true);
  if (!args.ok()) return nullptr;
  if (out.dtype != x.dtype) return args.fail("out must have x's dtype"), nullptr;
  // The index is read while out is written: the two must not overlap (the cpu kernel takes such calls).
  if (sharesMemory(out, index)) return args.fail("out shares memory with index"), nullptr;
  if (!checkIndexValues(args, index, axis, x.shape[axis])) return nullptr;
  const bool mayParallel = addressesEachElementOnce(out) && !sharesMemory(out, x);
  switch (elementBytes(x.dtype)) {
    case 1: gatherTyped<uint8_t>(x, axis, index, out, mayParallel); break;
    case 4: gatherTyped<uint32_t>(x, axis, index, out, mayParallel); break;
    case 8: gatherTyped<uint64_t>(x, axis, index, out, mayParallel); break;
  }
  return nullptr;
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  Args args(env, info, "scatterAdd");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  View out, index, src;
  args.view(out, "out") && args.view(index, "index") && args.view(src, "src") && args.finish() && checkAxis(args, axis, out) &&
      checkIndexDtype(args, index) && checkAddDtypes(args, out, src) && elementShapes(args, out, axis, index, src, "src", false);
  if (!args.ok()) return nullptr;
  if (sharesMemory(out, index)) return args.fail("out shares memory with index"), nullptr;
  if (!checkIndexValues(args, index, axis, out.shape[axis])) return nullptr;
  const bool mayParallel = addressesEachElementOnce(out) && !sharesMemory(out, src);
  switch (out.dtype) {
    case kFloat32: scatterAddTyped<float>(out, axis, index, src, mayParallel); break;
    case kFloat64: scatterAddTyped<double>(out, axis, index, src, mayParallel); break;
    case kInt32: scatterAddTyped<int32_t>(out, axis, index, src, mayParallel); break;
    case kBool: break;
  }
  return nullptr;
}

}  // namespace nabla
