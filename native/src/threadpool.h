// A persistent pool of worker threads for the kernels.
//
// Workers start once, on the first parallel job, and then wait (spinning briefly, then sleeping)
// for the next job, so a kernel never pays thread start-up. The calling (JavaScript) thread takes
// part in every job. Kernels decide themselves whether a problem is big enough to split; small
// ones simply call their body inline and never touch the pool.

#pragma once

#include <cstdint>
#include <type_traits>

namespace nabla {

/** Threads a job runs on, the caller included: NABLA_NUM_THREADS, else the CPUs this process may use. */
int numThreads();
/** Change the thread count (1 = everything on the caller). Takes effect for the next job. */
void setNumThreads(int n);

using TaskFn = void (*)(void* ctx, int64_t task, int worker);

/**
 * Run fn(ctx, task, worker) for every task in [0, tasks), spread over the pool (tasks are handed
 * out one at a time, so uneven tasks balance). worker identifies the thread (0 is the caller) but
 * which tasks a thread gets is not fixed: a kernel that needs a reproducible result gives each
 * task its own output, never each worker. Returns when all tasks are done; the caller runs
 * whatever the workers have not picked up, so a busy machine only loses the parallelism. A job
 * started while another is running (from a second JavaScript thread) runs inline on its caller.
 */
void runTasks(int64_t tasks, TaskFn fn, void* ctx);

/** parallelFor over a lambda: body(task, worker). */
template <class F>
void parallelTasks(int64_t tasks, F&& body) {
  if (tasks <= 0) return;
  if (tasks == 1 || numThreads() == 1) {
    for (int64_t t = 0; t < tasks; t++) body(t, 0);
    return;
  }
  using Body = typename std::remove_reference<F>::type;
  runTasks(tasks, [](void* ctx, int64_t task, int worker) { (*static_cast<Body*>(ctx))(task, worker); }, const_cast<void*>(static_cast<const void*>(&body)));
}

/**
 * Split [0, n) into contiguous ranges of at least `grain` items and run body(begin, end, worker)
 * on each; one range (inline, no pool) when n < 2·grain.
 */
template <class F>
void parallelRanges(int64_t n, int64_t grain, F&& body) {
  if (n <= 0) return;
  const int threads = numThreads();
  if (grain < 1) grain = 1;
  int64_t chunks = n / grain;
  if (chunks > 4 * threads) chunks = 4 * threads;
  if (chunks <= 1 || threads == 1) {
    body(int64_t(0), n, 0);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  parallelTasks((n + step - 1) / step, [&](int64_t t, int worker) {
    const int64_t b = t * step, e = b + step < n ? b + step : n;
    body(b, e, worker);
  });
}

}  // namespace nabla
