// libFuzzer target: parse_adapter() on arbitrary bytes (ADP1 / ASP1 / ALR1),
// as given and with the checksum fixed up.
//
// Accepted adapters must only expose spans inside the input, describe
// themselves, match or be refused by a fixed small base model with an
// "adapter.*" incompatible error, survive add_payload() on a buffer of their
// element count (sparse indices and factor sizes are the risky parts), and
// round-trip through the writer to a file with the same payloads.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "adapter/delta.hpp"
#include "adapter/describe.hpp"
#include "adapter/format.hpp"
#include "adapter/identity.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::adapter;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool inside(Bytes span, Bytes file) {
    if (span.empty()) return true;
    return span.data() >= file.data() && span.size() <= file.size() &&
           static_cast<std::size_t>(span.data() - file.data()) <= file.size() - span.size();
}

// Buffers above this many elements are not allocated (a sparse payload may
// name a huge tensor with a few bytes of data), and low-rank products above
// four times as many multiply-adds are not run (timeouts, not bugs).
constexpr std::uint64_t k_max_elements = 1u << 20;

volatile float g_sink;

// The model the seed adapters were made for (fuzz_make_seeds: small_spm.slm),
// so mutated seeds reach the per-payload checks of match_base().
std::vector<std::uint8_t> small_spm_model() {
    test::TinySpec spec;
    spec.config.vocab_size = test::k_small_spm_vocab;
    test::TinyModel m = test::make_tiny_input(spec);
    m.input.tokenizer = test::small_spm_tokenizer();
    return *format::write_slm(m.input);
}

const format::SlmView& base_model() {
    static const std::vector<std::uint8_t> bytes = small_spm_model();
    static const format::SlmView view = *format::parse_slm(bytes, "base.slm");
    return view;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto as_given = parse_adapter(Bytes(data, size), "fuzz.adp");
    if (!as_given) {
        check(as_given.error().code == ErrorCode::invalid_input);
        check(as_given.error().id.rfind("adapter.", 0) == 0);
    }
    // With the checksum made right, mutations reach the value checks and the
    // code behind acceptance instead of stopping at the XXH64.
    std::vector<std::uint8_t> fixed(data, data + size);
    if (size >= k_header_size) {
        const std::uint64_t sum = compute_checksum(fixed);
        std::memcpy(fixed.data() + k_checksum_offset, &sum, 8);
    }
    const Bytes file(fixed);
    auto parsed = parse_adapter(file, "fuzz.adp");
    check(!as_given || parsed);
    if (!parsed) {
        check(parsed.error().code == ErrorCode::invalid_input);
        check(parsed.error().id.rfind("adapter.", 0) == 0 && parsed.error().id != "adapter.checksum_mismatch");
        return 0;
    }
    const AdapterView& a = *parsed;
    check(has_adapter_magic(file));
    check(a.file.data() == fixed.data() && a.file.size() == size);
    (void)describe_adapter(a).dump();

    AdapterInput again;
    again.kind = a.kind;
    again.identity = a.identity;
    for (const Payload& p : a.payloads) {
        check(inside(p.data, file));
        check(p.data_offset % k_alignment == 0);
        check(std::isfinite(p.scale));
        const std::uint64_t n = p.element_count();
        const std::uint64_t work = p.encoding(a.kind) == Kind::lowrank ? n * p.count : n;  // n <= 2^20 below
        if (n <= k_max_elements && work <= 4 * k_max_elements) {
            std::vector<float> v(n, 1.0f);
            add_payload(p, a.kind, 1.0, v);
            float sum = 0;
            for (float x : v) sum += x;
            g_sink = sum;
        }
        PayloadInput in;
        in.name_hash = p.name_hash;
        in.rank = p.rank;
        in.dims = p.dims;
        in.count = p.count;
        in.scale = p.scale;
        // Sparse data is all (index, value) pairs; dense data is n plain
        // deltas, then `count` (index, residual) pairs.
        const Kind enc = p.encoding(a.kind);
        const std::size_t plain = enc == Kind::sparse ? 0 : enc == Kind::dense ? 4 * n : p.data.size();
        for (std::size_t i = 0; i < plain; i += 4) in.values.push_back(load_le<float>(p.data.data() + i));
        for (std::size_t i = plain; i < p.data.size(); i += 8) {
            in.indices.push_back(load_le<std::uint32_t>(p.data.data() + i));
            in.values.push_back(load_le<float>(p.data.data() + i + 4));
        }
        again.payloads.push_back(std::move(in));
    }
    auto rewritten = write_adapter(again);
    check(rewritten.ok());
    auto reparsed = parse_adapter(*rewritten, "rewritten.adp");
    check(reparsed.ok() && reparsed->payloads.size() == a.payloads.size());
    for (std::size_t i = 0; i < a.payloads.size(); ++i) {
        const Payload &x = a.payloads[i], &y = reparsed->payloads[i];
        check(x.name_hash == y.name_hash && x.count == y.count && x.dims == y.dims);
        check(x.data.size() == y.data.size() && std::memcmp(x.data.data(), y.data.data(), x.data.size()) == 0);
    }

    auto matched = match_base(a, "fuzz.adp", base_model(), "base.slm");
    if (!matched) {
        check(matched.error().code == ErrorCode::incompatible);
        check(matched.error().id.rfind("adapter.", 0) == 0);
    } else {
        for (std::size_t i = 0; i < matched->size(); ++i)
            check(base_model().tensors()[(*matched)[i]].element_count() == a.payloads[i].element_count());
    }
    return 0;
}
