// Test hooks for the crash-injection suite (tests/registry/crash_test.py):
// when SLMCTL_CRASH_AT names a point, the process SIGKILLs itself there, so
// the test can stop a writer between any two durable steps on purpose, in
// addition to killing it at random times. Unset, a hook costs one getenv.
#pragma once

namespace slm::registry {

void crash_point(const char* name);

}  // namespace slm::registry
