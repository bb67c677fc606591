// libFuzzer target: the registry journal parser and its replay, plus the
// reference parser. Any input must give records or a clean error, never a
// crash, and a replayed state must serialise and read back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"
#include "registry/journal.hpp"
#include "registry/reference.hpp"
#include "registry/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const slm::Bytes bytes(data, size);
    (void)slm::registry::parse_reference(std::string_view(reinterpret_cast<const char*>(data), size));
    auto tail = slm::registry::parse_journal(bytes, {}, "fuzz");
    if (!tail) return 0;
    slm::registry::RegistryState state;
    for (const auto& rec : tail->records)
        if (!slm::registry::apply_record(state, rec)) return 0;
    auto back = slm::registry::state_from_json(slm::registry::state_to_json(state), "fuzz");
    if (!back) __builtin_trap();  // the state written must always read back
    return 0;
}
