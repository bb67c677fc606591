// slmctl tokenize MODEL [-p TEXT | -f FILE | --batch FILE.json]: token ids of
// text under a model's tokenizer. MODEL may be a .slm or a GGUF (vocabulary-
// only GGUFs work too), so vocabularies can be compared with llama.cpp's.
#include <memory>

#include "commands.hpp"
#include "model_ref.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "format/slm_file.hpp"
#include "interop/gguf_llama.hpp"
#include "output.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slmctl {
namespace {

struct TokenizeArgs {
    std::string model, prompt, prompt_file, batch_file, bos = "auto";
    bool json = false;
    RegistryArgs registry;
};

slm::Result<slm::format::TokenizerSection> load_section(const std::string& path) {
    auto head = slm::MappedFile::open(path);
    if (!head) return head.take_error();
    const slm::Bytes b = head->bytes();
    if (b.size() >= 4 && slm::as_string_view(b.subspan(0, 4)) == "GGUF") {
        auto gguf = slm::interop::GgufFile::open(path);
        if (!gguf) return gguf.take_error();
        return slm::interop::tokenizer_from_gguf(*gguf);
    }
    auto file = slm::format::SlmFile::open(path);
    if (!file) return file.take_error();
    return file->view().tokenizer();
}

int run_tokenize(const TokenizeArgs& a) {
    auto input = resolve_model(a.model, a.registry);
    if (!input) return report_error(input.error());
    auto section = load_section(input->path);
    if (!section) return report_error(section.error());
    auto tok = slm::tokenizer::Tokenizer::create(*section);
    if (!tok) return report_error(tok.error());
    const bool add_bos = a.bos == "auto" ? tok->add_bos_default() : a.bos == "yes";

    if (!a.batch_file.empty()) {
        auto text = slm::read_text_file(a.batch_file);
        if (!text) return report_error(text.error());
        auto doc = slm::parse_json(*text, a.batch_file);
        if (!doc) return report_error(doc.error());
        if (!doc->is_array())
            return report_error(slm::make_error(slm::ErrorCode::invalid_input, "cli.bad_batch",
                                                a.batch_file + ": expected a JSON array of strings"));
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : *doc) {
            if (!item.is_string())
                return report_error(slm::make_error(slm::ErrorCode::invalid_input, "cli.bad_batch",
                                                    a.batch_file + ": every element must be a string"));
            out.push_back(tok->encode(item.get<std::string>(), add_bos));
        }
        print_json(out);
        return 0;
    }

    std::string text = a.prompt;
    if (!a.prompt_file.empty()) {
        auto t = slm::read_text_file(a.prompt_file);
        if (!t) return report_error(t.error());
        text = std::move(*t);
    }
    const auto ids = tok->encode(text, add_bos);
    if (a.json) {
        nlohmann::json pieces = nlohmann::json::array();
        for (auto id : ids) pieces.push_back(tok->token_piece(id));
        print_json({{"ids", ids}, {"pieces", pieces}, {"count", ids.size()}});
        return 0;
    }
    std::string line;
    for (auto id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
    fmt::print("{}\n", line);
    return 0;
}

}  // namespace

void register_tokenize(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<TokenizeArgs>();
    auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text (model: .slm or GGUF)");
    cmd->add_option("model", a->model, "A .slm model, a GGUF file (vocabulary-only is enough) or a registry reference")->required();
    add_registry_options(cmd, a->registry, false);
    auto* prompt = cmd->add_option("-p,--prompt", a->prompt, "Text to tokenize");
    auto* file = cmd->add_option("-f,--file", a->prompt_file, "Read the text from a file")->excludes(prompt);
    cmd->add_option("--batch", a->batch_file, "JSON array of strings; prints a JSON array of id arrays")
        ->excludes(prompt)
        ->excludes(file);
    cmd->add_option("--bos", a->bos, "Prepend BOS: auto (the tokenizer's default), yes or no")
        ->check(CLI::IsMember({"auto", "yes", "no"}))
        ->capture_default_str();
    cmd->add_flag("--json", a->json, "Print ids and pieces as JSON");
    cmd->footer("Exit codes: 0 ok; 3 malformed model or batch file; 4 unsupported tokenizer; 5 not found.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_tokenize(*a); });
}

}  // namespace slmctl
