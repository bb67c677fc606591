#include "registry/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace slm::registry {

Result<RegistryLock> RegistryLock::acquire(const std::string& path, int timeout_ms) {
    RegistryLock lock;
    lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock.fd_ < 0)
        return make_error(ErrorCode::internal, "registry.lock_open", path + ": cannot open: " + std::strerror(errno));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::minstd_rand jitter(static_cast<unsigned>(::getpid()));
    while (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return make_error(ErrorCode::internal, "registry.lock", path + ": flock: " + std::strerror(errno));
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(ErrorCode::conflict, "registry.locked",
                              path + ": another slmctl is writing to this registry (gave up after " +
                                  std::to_string(timeout_ms) + " ms; see --lock-timeout)");
        std::this_thread::sleep_for(std::chrono::microseconds(200 + jitter() % 800));
    }
    return lock;
}

RegistryLock& RegistryLock::operator=(RegistryLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

RegistryLock::~RegistryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace slm::registry
