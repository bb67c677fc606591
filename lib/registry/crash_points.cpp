#include "registry/crash_points.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace slm::registry {

void crash_point(const char* name) {
    static const char* target = std::getenv("SLMCTL_CRASH_AT");
    if (target != nullptr && std::strcmp(target, name) == 0) std::raise(SIGKILL);
}

}  // namespace slm::registry
