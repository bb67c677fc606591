// slmctl runtime wasm [-o DIR]: the WebAssembly runtime built from the same
// sources as this binary, with its JS loader and a manifest of both digests.
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "core/hash.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "embedded_files.hpp"
#include "output.hpp"

namespace slmctl {
namespace {

constexpr std::string_view k_runtime_files[] = {"slm_runtime.wasm", "slm.mjs"};

struct RuntimeArgs {
    std::string out_dir;
    bool json = false;
};

// What the manifest says about the runtime: the ABI it speaks and each
// file's digest and size.
nlohmann::json runtime_manifest() {
    nlohmann::json files = nlohmann::json::object();
    for (std::string_view name : k_runtime_files) {
        const auto bytes = embedded_file(name);
        files[std::string(name)] = {{"digest", slm::sha256_ref(slm::sha256(bytes))}, {"size", bytes.size()}};
    }
    return {{"name", "slm_runtime"},  {"runtime_version", SLM_VERSION}, {"abi_version", 1},
            {"target", "wasm32-wasi"}, {"abi_doc", "docs/wasm-abi.md"}, {"files", files}};
}

int run_runtime_wasm(const RuntimeArgs& a) {
    if (embedded_file("slm_runtime.wasm").empty()) {
        return report_error(slm::make_error(
            slm::ErrorCode::not_found, "runtime.wasm_not_built",
            "this slmctl was built without the WebAssembly runtime (the wasm32 toolchain was missing; "
            "scripts/install-deps.sh installs it, then rebuild)"));
    }
    const nlohmann::json manifest = runtime_manifest();
    if (!a.out_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(a.out_dir, ec);
        if (ec) {
            return report_error(slm::make_error(slm::ErrorCode::internal, "io.mkdir_failed",
                                                a.out_dir + ": cannot create the directory: " + ec.message()));
        }
        for (std::string_view name : k_runtime_files) {
            const std::string path = (std::filesystem::path(a.out_dir) / name).string();
            if (auto st = slm::write_file_atomic(path, embedded_file(name)); !st) return report_error(st.error());
        }
        const std::string path = (std::filesystem::path(a.out_dir) / "runtime-manifest.json").string();
        if (auto st = slm::write_file_atomic(path, manifest.dump(2) + "\n"); !st) return report_error(st.error());
    }
    if (a.json) {
        print_json(manifest);
        return 0;
    }
    for (const auto& [name, f] : manifest["files"].items())
        fmt::print("{:<18} {}  {}\n", name, f["digest"].get<std::string>(), human_bytes(f["size"].get<std::uint64_t>()));
    if (!a.out_dir.empty()) fmt::print("wrote {}/ (runtime-manifest.json, slm_runtime.wasm, slm.mjs)\n", a.out_dir);
    return 0;
}

}  // namespace

void register_runtime(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("runtime", "The WebAssembly runtime shipped with this slmctl");
    cmd->require_subcommand(1);
    auto a = std::make_shared<RuntimeArgs>();
    auto* wasm = cmd->add_subcommand("wasm", "Print the runtime's digests, or write it with its JS loader (-o DIR)");
    wasm->add_option("-o,--out", a->out_dir, "Write slm_runtime.wasm, slm.mjs and runtime-manifest.json here")
        ->type_name("DIR");
    wasm->add_flag("--json", a->json, "Print the runtime manifest as JSON");
    wasm->footer(
        "\nThe runtime is built from the same runtime/quant/tokenizer/format sources as this binary. Its C ABI\n"
        "is docs/wasm-abi.md; slm.mjs loads it in Node.js and browsers.\n");
    wasm->callback([a, &ctx] { ctx.exit_code = run_runtime_wasm(*a); });
}

}  // namespace slmctl
