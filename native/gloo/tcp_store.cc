#include "tcp_store.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace nabla_gloo {

namespace {
// Keys and values are small (addresses of pairs); anything larger means a corrupt stream.
constexpr uint32_t kMaxValue = 64u << 20;

void putU32(std::vector<char>& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout) {
  where_ = host + ":" + std::to_string(port);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string lastError = "no address";
  // Rank 0's server may not be listening yet: retry until the timeout.
  while (true) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0) {
      lastError = gai_strerror(rc);
    } else {
      for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
          fd_ = fd;
          break;
        }
        lastError = std::strerror(errno);
        close(fd);
      }
      freeaddrinfo(res);
    }
    if (fd_ >= 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("could not reach the rendezvous store at " + where_ + " (MASTER_ADDR:MASTER_PORT): " + lastError);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // Every read waits at most the timeout: a store that never answers is an error, not a hang.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

TcpStore::~TcpStore() {
  if (fd_ >= 0) close(fd_);
}

void TcpStore::sendAll(const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::send(fd_, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error("rendezvous store " + where_ + ": send failed: " + std::strerror(errno));
    c += w;
    n -= static_cast<size_t>(w);
  }
}

void TcpStore::recvAll(void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = ::recv(fd_, c, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) throw std::runtime_error("rendezvous store " + where_ + " closed the connection");
    if (r < 0) {
      bool timedOut = errno == EAGAIN || errno == EWOULDBLOCK;
      throw std::runtime_error("rendezvous store " + where_ + ": " + (timedOut ? std::string("timed out waiting for the other ranks") : std::strerror(errno)));
    }
    c += r;
    n -= static_cast<size_t>(r);
  }
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  if (key.size() > kMaxValue || data.size() > kMaxValue) throw std::runtime_error("rendezvous store: key or value too large");
  std::vector<char> msg;
  msg.push_back('S');
  putU32(msg, static_cast<uint32_t>(key.size()));
  msg.insert(msg.end(), key.begin(), key.end());
  putU32(msg, static_cast<uint32_t>(data.size()));
  msg.insert(msg.end(), data.begin(), data.end());
  sendAll(msg.data(), msg.size());
  char ack = 0;
  recvAll(&ack, 1);
  if (ack != 'K') throw std::runtime_error("rendezvous store " + where_ + ": unexpected reply to set");
}

std::vector<char> TcpStore::get(const std::string& key) {
  if (key.size() > kMaxValue) throw std::runtime_error("rendezvous store: key too large");
  std::vector<char> msg;
  msg.push_back('G');
  putU32(msg, static_cast<uint32_t>(key.size()));
  msg.insert(msg.end(), key.begin(), key.end());
  sendAll(msg.data(), msg.size());
  unsigned char len[4];
  recvAll(len, 4);
  uint32_t n = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<uint32_t>(len[3]) << 24);
  if (n > kMaxValue) throw std::runtime_error("rendezvous store " + where_ + ": value of " + std::to_string(n) + " bytes is too large");
  std::vector<char> out(n);
  if (n > 0) recvAll(out.data(), n);
  return out;
}

void TcpStore::wait(const std::vector<std::string>& keys) {
  for (const auto& k : keys) get(k);
}

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds&) {
  // The socket's receive timeout (the group's timeout) bounds each get.
  wait(keys);
}

}  // namespace nabla_gloo
