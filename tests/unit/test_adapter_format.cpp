// ADP1 / ASP1 / ALR1 reader and writer: round trips, one handcrafted corrupt
// file per rule, and every truncation / byte flip refused cleanly.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "adapter/create.hpp"
#include "adapter/describe.hpp"
#include "test_adapter_helpers.hpp"

using namespace slm;
using namespace slm::adapter;

namespace {

// threshold 0.01 keeps a few entries of every tensor in a sparse adapter.
std::vector<std::uint8_t> make_adapter(Kind kind, std::uint32_t rank = 2) {
    test::TinySpec spec;
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, test::finetune);
    CreateOptions opt;
    opt.kind = kind;
    opt.threshold = 0.01;
    opt.rank = rank;
    auto created = create_adapter(test::view_of(base), "base", test::view_of(tuned), "tuned", opt);
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
    return std::move(created->bytes);
}

std::uint64_t table_entry(const std::vector<std::uint8_t>& f, std::uint32_t i) {
    std::uint64_t table;
    std::memcpy(&table, f.data() + off::table_offset, 8);
    return table + std::uint64_t(i) * k_entry_size;
}

template <class T>
T read_at(const std::vector<std::uint8_t>& f, std::uint64_t at) {
    T v;
    std::memcpy(&v, f.data() + at, sizeof(T));
    return v;
}

void expect_refused(const std::vector<std::uint8_t>& f, const char* id) {
    auto r = parse_adapter(f, "bad.adp");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK_MESSAGE(r.error().id == id, r.error().id << ": " << r.error().message);
    CHECK(r.error().message.rfind("bad.adp: ", 0) == 0);
}

}  // namespace

TEST_CASE("adapter format: each kind round-trips through the writer and reader") {
    for (Kind kind : {Kind::dense, Kind::sparse, Kind::lowrank}) {
        CAPTURE(kind_name(kind));
        const auto bytes = make_adapter(kind);
        CHECK(has_adapter_magic(bytes));
        const AdapterView v = test::adapter_of(bytes);
        CHECK(v.kind == kind);
        CHECK(v.header_length == k_header_size);
        CHECK_FALSE(v.payloads.empty());
        for (const Payload& p : v.payloads) {
            CHECK(p.data_offset % k_alignment == 0);
            if (kind == Kind::lowrank && p.rank == 2) CHECK(p.count == 2);
            if (kind == Kind::sparse) CHECK(p.count > 0);
        }
        const auto d = describe_adapter(v);
        CHECK(d["kind"] == std::string(kind_name(kind)));
        CHECK(d["identity"]["tensor_count"] == v.identity.tensor_count);
        CHECK(d["payloads"][0]["name"] == "tok_embeddings.weight");  // names resolved from flags + count
    }
    CHECK_FALSE(has_adapter_magic(test::make_tiny_slm()));
}

TEST_CASE("adapter format: one handcrafted corrupt file per rule") {
    const auto good = make_adapter(Kind::sparse);
    const std::uint64_t e0 = table_entry(good, 0);
    const std::uint64_t data0 = read_at<std::uint64_t>(good, e0 + 40);
    auto patched = [&](auto edit) {
        auto f = good;
        edit(f);
        return f;
    };
    expect_refused(std::vector<std::uint8_t>(good.begin(), good.begin() + 100), "adapter.truncated");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint32_t>(f, 0, 0x31504458); }), "adapter.bad_magic");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint32_t>(f, off::version, 2); }),
                   "adapter.bad_version");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint32_t>(f, off::header_length, 64); }),
                   "adapter.bad_header_length");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint32_t>(f, off::reserved1, 7); }),
                   "adapter.reserved_nonzero");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint32_t>(f, off::payload_count, 1u << 30); }),
                   "adapter.table_out_of_bounds");
    expect_refused(patched([](auto& f) { test::patch_adapter<std::uint64_t>(f, off::table_offset, 0); }),
                   "adapter.table_out_of_bounds");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint32_t>(f, e0 + 8, 5); }), "adapter.bad_rank");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint32_t>(f, e0 + 12 + 12, 3); }),
                   "adapter.bad_dims");
    expect_refused(patched([&](auto& f) {
                       test::patch_adapter<std::uint32_t>(f, e0 + 8, 4);
                       test::patch_adapter<std::uint32_t>(f, e0 + 12 + 8, 0xFFFFFFFFu);
                       test::patch_adapter<std::uint32_t>(f, e0 + 12 + 12, 0xFFFFFFFFu);
                   }),
                   "adapter.dim_overflow");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint32_t>(f, e0 + 36, 1); }),
                   "adapter.reserved_nonzero");
    expect_refused(patched([&](auto& f) { test::patch_adapter<float>(f, e0 + 32, INFINITY); }), "adapter.bad_scale");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint32_t>(f, e0 + 28, 1u << 31); }),
                   "adapter.bad_count");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint64_t>(f, e0 + 48, 8); }),
                   "adapter.bad_data_length");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint64_t>(f, e0 + 40, data0 + 4); }),
                   "adapter.misaligned");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint64_t>(f, e0 + 40, data0 + (1u << 20)); }),
                   "adapter.data_out_of_bounds");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint64_t>(f, e0 + 40, 0xFFFFFFFFFFFFFFC0ull); }),
                   "adapter.data_out_of_bounds");
    // Two entries with one name, and an entry pointing at its neighbour's data.
    const std::uint64_t e1 = table_entry(good, 1);
    expect_refused(patched([&](auto& f) {
                       test::patch_adapter<std::uint64_t>(f, e1, read_at<std::uint64_t>(f, e0));
                   }),
                   "adapter.duplicate_tensor");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint64_t>(f, e0 + 40, 0); }),
                   "adapter.data_out_of_bounds");
    expect_refused(patched([&](auto& f) {
                       test::patch_adapter<std::uint64_t>(f, e0 + 40, read_at<std::uint64_t>(f, e1 + 40));
                       test::patch_adapter<std::uint64_t>(f, e0 + 48, read_at<std::uint64_t>(f, e1 + 48));
                       test::patch_adapter<std::uint32_t>(f, e0 + 28, read_at<std::uint32_t>(f, e1 + 28));
                   }),
                   "adapter.overlap");
    // Values: a NaN delta, an index out of order, an index past the tensor.
    expect_refused(patched([&](auto& f) { test::patch_adapter<float>(f, data0 + 4, NAN); }), "adapter.non_finite");
    expect_refused(patched([&](auto& f) {
                       test::patch_adapter<std::uint32_t>(f, data0 + 8, read_at<std::uint32_t>(f, data0));
                   }),
                   "adapter.bad_sparse_index");
    expect_refused(patched([&](auto& f) { test::patch_adapter<std::uint32_t>(f, data0, 0xFFFFFFF0u); }),
                   "adapter.bad_sparse_index");
    // A flipped bit anywhere else is caught by the checksum.
    auto flipped = good;
    flipped[data0 + 5] ^= 0x01;
    expect_refused(flipped, "adapter.checksum_mismatch");
}

TEST_CASE("adapter format: low-rank factor rank and dense norms") {
    const auto good = make_adapter(Kind::lowrank);
    const AdapterView v = test::adapter_of(good);
    for (std::uint32_t i = 0; i < v.payloads.size(); ++i) {
        const std::uint64_t e = table_entry(good, i);
        if (v.payloads[i].rank == 1) {
            CHECK(v.payloads[i].encoding(Kind::lowrank) == Kind::dense);
            auto f = good;
            test::patch_adapter<std::uint32_t>(f, e + 28, 1);  // a residual the data does not hold
            expect_refused(f, "adapter.bad_data_length");
            f = good;
            test::patch_adapter<std::uint32_t>(f, e + 28, v.payloads[i].rank == 1 ? v.payloads[i].dims[0] + 1 : 0);
            expect_refused(f, "adapter.bad_count");  // more residuals than elements
        } else {
            auto f = good;
            test::patch_adapter<std::uint32_t>(f, e + 28, 0);
            expect_refused(f, "adapter.bad_count");
            f = good;
            test::patch_adapter<std::uint32_t>(f, e + 28, 1000);  // above min(rows, cols)
            expect_refused(f, "adapter.bad_count");
        }
    }
}

TEST_CASE("adapter format: dense residuals are checked like sparse pairs") {
    // Weights shrunk by 10^6: no f32 delta reaches them from the base.
    test::TinySpec spec;
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, [](const std::string&, std::size_t, std::size_t, std::vector<float>& w) {
        for (std::size_t k = 0; k < w.size(); k += 5) w[k] *= 1e-6f;
    });
    auto created = create_adapter(test::view_of(base), "base", test::view_of(tuned), "tuned", {});
    REQUIRE(created.ok());
    const auto& good = created->bytes;
    const AdapterView v = test::adapter_of(good);
    std::uint32_t i = 0;
    while (i < v.payloads.size() && v.payloads[i].count < 2) ++i;
    REQUIRE(i < v.payloads.size());
    const Payload& p = v.payloads[i];
    const std::uint64_t pairs = p.data_offset + 4 * p.element_count();
    auto patched = [&](std::uint64_t at, auto value) {
        auto f = good;
        test::patch_adapter(f, at, value);
        return f;
    };
    expect_refused(patched(pairs + 4, NAN), "adapter.non_finite");
    expect_refused(patched(pairs + 8, read_at<std::uint32_t>(good, pairs)), "adapter.bad_sparse_index");
    expect_refused(patched(pairs, static_cast<std::uint32_t>(p.element_count())), "adapter.bad_sparse_index");
    expect_refused(patched(table_entry(good, i) + 28, p.count + 1), "adapter.bad_data_length");
}

TEST_CASE("adapter format: every truncation and every byte flip is refused as invalid input") {
    for (Kind kind : {Kind::dense, Kind::sparse, Kind::lowrank}) {
        CAPTURE(kind_name(kind));
        const auto good = make_adapter(kind, 1);
        for (std::size_t n = 0; n < good.size(); n += (n < 512 ? 1 : 61)) {
            auto r = parse_adapter(Bytes(good.data(), n), "t.adp");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == ErrorCode::invalid_input);
        }
        for (std::size_t at = 0; at < good.size(); at += (at < 512 ? 1 : 13)) {
            auto f = good;
            f[at] ^= 0x10;
            auto r = parse_adapter(f, "f.adp");
            CAPTURE(at);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == ErrorCode::invalid_input);
            CHECK(r.error().id.rfind("adapter.", 0) == 0);
        }
    }
}
