// The registry lock: an exclusive flock(2) on ROOT/slmctl/lock held for the
// whole of a write (journal append + view updates). The kernel drops it when
// the holder dies, so a crashed writer never leaves the registry locked.
#pragma once

#include <string>

#include "core/result.hpp"

namespace slm::registry {

class RegistryLock {
public:
    // Waits up to timeout_ms; then fails with ErrorCode::conflict (exit 6).
    static Result<RegistryLock> acquire(const std::string& path, int timeout_ms);

    RegistryLock() = default;
    RegistryLock(RegistryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    RegistryLock& operator=(RegistryLock&& other) noexcept;
    RegistryLock(const RegistryLock&) = delete;
    RegistryLock& operator=(const RegistryLock&) = delete;
    ~RegistryLock();

private:
    int fd_ = -1;
};

}  // namespace slm::registry
