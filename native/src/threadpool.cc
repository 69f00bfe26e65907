#include "threadpool.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NABLA_PAUSE() _mm_pause()
#else
#define NABLA_PAUSE() std::this_thread::yield()
#endif

namespace nabla {

namespace {

constexpr int kMaxThreads = 64;
/** How long a worker spins before sleeping: long enough to catch the next kernel of a training
 *  step (a futex wake-up costs tens of µs, more in a VM), short enough not to burn a core another
 *  process could use. Measured by the clock: a pause instruction lasts ~3 cycles on some CPUs
 *  (AMD Zen 1) and ~140 on others, so a count of pauses is no measure of time. */
constexpr auto kSpin = std::chrono::microseconds(200);
/** Pauses between two looks at the clock. */
constexpr int kPausesPerClockRead = 32;

int defaultThreads() {
  const char* env = std::getenv("NABLA_NUM_THREADS");
  if (env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end && *end == '\0' && n >= 1) return n > kMaxThreads ? kMaxThreads : static_cast<int>(n);
  }
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n > kMaxThreads ? kMaxThreads : n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) return 1;
  return n > static_cast<unsigned>(kMaxThreads) ? kMaxThreads : static_cast<int>(n);
}

// The job word: generation in the high 32 bits, a "closed" flag, and the number of workers that
// joined the job in the low bits. Workers join with a compare-and-swap that fails once the
// caller has closed the job, so the caller only ever waits for workers that are actually
// working on it — never for one that is still asleep (on a busy machine it may wake much later,
// find the job closed and go back to waiting).
constexpr uint64_t kClosed = uint64_t(1) << 31;
constexpr uint64_t kJoinedMask = 0xffff;

/** Process-wide pool. Never destroyed: its threads are detached and end with the process. */
struct Pool {
  std::atomic<int> threads{0};
  int started = 0;  // workers running (guarded by jobMutex)

  std::mutex jobMutex;  // one job at a time
  std::mutex sleepMutex;
  std::condition_variable wake;

  std::atomic<uint64_t> state{kClosed};
  std::atomic<int> finished{0};
  uint32_t generation = 0;
  // The current job (written by the caller before it publishes the generation).
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int64_t tasks = 0;
  std::atomic<int> helpers{0};
  std::atomic<int64_t> next{0};

  bool joinable(uint64_t s, uint32_t seen) const { return static_cast<uint32_t>(s >> 32) != seen && !(s & kClosed); }

  void workerLoop(int id) {
    uint32_t seen = 0;
    for (;;) {
      uint64_t s = state.load(std::memory_order_acquire);
      const auto spinUntil = std::chrono::steady_clock::now() + kSpin;
      for (int i = 1; !joinable(s, seen); i++) {
        NABLA_PAUSE();
        s = state.load(std::memory_order_acquire);
        if (i % kPausesPerClockRead == 0 && std::chrono::steady_clock::now() >= spinUntil) break;
      }
      if (!joinable(s, seen)) {
        std::unique_lock<std::mutex> lock(sleepMutex);
        wake.wait(lock, [&] { return joinable(state.load(std::memory_order_acquire), seen); });
        s = state.load(std::memory_order_acquire);
      }
      // Join unless the job closed (or is full) in the meantime.
      bool joined = false;
      while (joinable(s, seen) && static_cast<int>(s & kJoinedMask) < helpers.load(std::memory_order_relaxed)) {
        if (state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
          joined = true;
          break;
        }
      }
      seen = static_cast<uint32_t>(s >> 32);
      if (!joined) continue;
      for (int64_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) fn(ctx, k, id + 1);
      finished.fetch_add(1, std::memory_order_release);
    }
  }
};

Pool& pool() {
  static Pool* p = [] {
    Pool* q = new Pool();
    q->threads.store(defaultThreads());
    return q;
  }();
  return *p;
}

}  // namespace

int numThreads() { return pool().threads.load(std::memory_order_relaxed); }

void setNumThreads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  pool().threads.store(n);
}

void runTasks(int64_t tasks, TaskFn fn, void* ctx) {
  Pool& p = pool();
  const int threads = p.threads.load(std::memory_order_relaxed);
  if (tasks <= 0) return;
  std::unique_lock<std::mutex> job(p.jobMutex, std::try_to_lock);
  if (!job.owns_lock() || threads <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  int helpers = threads - 1;
  if (helpers > tasks - 1) helpers = static_cast<int>(tasks - 1);
  while (p.started < threads - 1) {
    const int id = p.started;
    std::thread([id] { pool().workerLoop(id); }).detach();
    p.started++;
  }
  p.fn = fn;
  p.ctx = ctx;
  p.tasks = tasks;
  p.helpers.store(helpers, std::memory_order_relaxed);
  p.next.store(0, std::memory_order_relaxed);
  p.finished.store(0, std::memory_order_relaxed);
  const uint32_t gen = ++p.generation == 0 ? ++p.generation : p.generation;
  {
    // Published under the sleep mutex so a worker about to sleep cannot miss it.
    std::lock_guard<std::mutex> lock(p.sleepMutex);
    p.state.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
  }
  p.wake.notify_all();
  for (int64_t k; (k = p.next.fetch_add(1, std::memory_order_relaxed)) < tasks;) fn(ctx, k, 0);
  // Close the job: from here no worker can join; wait for those that did.
  const uint64_t s = p.state.fetch_or(kClosed, std::memory_order_acq_rel);
  const int joined = static_cast<int>(s & kJoinedMask);
  // Joined workers are running their last task: pause, and yield the core if one was preempted.
  const auto yieldAfter = std::chrono::steady_clock::now() + kSpin;
  for (int spins = 1; p.finished.load(std::memory_order_acquire) < joined; spins++) {
    if (spins % kPausesPerClockRead != 0 || std::chrono::steady_clock::now() < yieldAfter) NABLA_PAUSE();
    else std::this_thread::yield();
  }
}

}  // namespace nabla
