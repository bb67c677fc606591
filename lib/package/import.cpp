#include "package/import.hpp"

#include <filesystem>

#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "interop/gguf_llama.hpp"
#include "interop/hf_llama.hpp"
#include "interop/llama2c.hpp"
#include "package/manifest.hpp"
#include "package/schemas.hpp"
#include "registry/reference.hpp"  // the name and version rules (a leaf header)
#include "tokenizer/tokenizer.hpp"

namespace slm::package {
namespace {

namespace fs = std::filesystem;

// A skill name from free text: lower case, [a-z0-9_-] segments joined by dots.
std::string skill_name_from(std::string_view text) {
    std::string out = "imported.";
    bool dash = false;
    for (char c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && out.back() != '.') out += '-';
            out += c;
            dash = false;
        } else {
            dash = true;
        }
        if (out.size() >= 100) break;
    }
    if (out.back() == '.') out += "model";
    return out;
}

Result<interop::ImportedModel> run_importer(const std::string& format, const std::string& path,
                                            const ImportOptions& o) {
    if (format == "gguf") {
        auto file = interop::GgufFile::open(path);
        if (!file) return file.take_error();
        return interop::import_gguf_llama(*file);
    }
    if (format == "llama2c") {
        std::string tokenizer = o.tokenizer_path;
        if (tokenizer.empty()) tokenizer = (fs::path(path).parent_path() / "tokenizer.bin").string();
        return interop::import_llama2c(path, tokenizer);
    }
    if (format == "hf") return interop::import_hf_llama(path);
    return make_error(ErrorCode::usage, "import.bad_format",
                      "unknown import format '" + format + "' (expected auto, gguf, llama2c or hf)");
}

}  // namespace

Result<std::string> detect_import_format(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return make_error(ErrorCode::not_found, "import.not_found", path + ": no such file or directory");
    if (fs::is_directory(status)) return std::string("hf");
    auto file = MappedFile::open(path);
    if (!file) return file.take_error();
    const Bytes b = file->bytes();
    if (b.size() >= 4 && as_string_view(b.subspan(0, 4)) == "GGUF") return std::string("gguf");
    return std::string("llama2c");
}

Result<PackedArtifact> import_model(const std::string& path, const ImportOptions& o) {
    std::string format = o.format;
    if (format == "auto") {
        auto detected = detect_import_format(path);
        if (!detected) return detected.take_error();
        format = *detected;
    }
    auto imported = run_importer(format, path, o);
    if (!imported) return imported.take_error();
    // Refuse a vocabulary the runtime cannot use now rather than at `run`.
    if (auto tok = tokenizer::Tokenizer::create(imported->input.tokenizer); !tok) {
        Error e = tok.take_error();
        e.message = path + ": the imported tokenizer is unusable: " + e.message;
        return e;
    }

    PackedArtifact out;
    auto image = format::write_slm(imported->input);
    if (!image) return image.take_error();
    out.slm = std::move(*image);
    auto view = format::parse_slm(out.slm, path);
    if (!view) return view.take_error();

    // The source digest: the file, or for a directory its weights file.
    const std::string source_file =
        format == "hf" ? (fs::path(path) / "model.safetensors").string() : path;
    auto source = MappedFile::open(source_file);
    if (!source) return source.take_error();

    SkillInfo info;
    const std::string& source_name = imported->model_name;
    info.name = !o.name.empty()              ? o.name
                : registry::is_skill_name(source_name) ? source_name
                                             : skill_name_from(!source_name.empty() ? source_name
                                                                                    : fs::path(path).stem().string());
    info.version = !o.version.empty()                     ? o.version
                   : registry::is_version(imported->model_version) ? imported->model_version
                                                          : "0.1.0";
    info.description = "imported from " + format + " (" + fs::path(path).filename().string() + ")";
    info.input_contract = "text/v1";
    info.output_contract = "text/v1";
    info.license = "unknown";
    info.data_lineage = "imported: " + imported->source_format;
    info.safety_tier = "medium";
    Provenance prov;
    prov.operator_name = "import";
    prov.parents.push_back({sha256_ref(source->bytes()), "import-source", imported->source_format});
    prov.parameters = {{"source_format", imported->source_format},
                       {"source_file", fs::path(source_file).filename().string()}};
    out.manifest = make_manifest(info, prov, *view);
    SLM_TRY(validate_against_schema(out.manifest, "skill-manifest.schema.json",
                                    [](const std::string&) { return std::string("--name/--version"); },
                                    ErrorCode::usage));
    out.artifact_digest = sha256_ref(Bytes(out.slm));
    out.manifest_id = manifest_id(out.manifest);
    return out;
}

}  // namespace slm::package
