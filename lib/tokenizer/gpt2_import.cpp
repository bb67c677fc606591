#include "tokenizer/gpt2_import.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/gpt2_bytes.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizer_errors.hpp"

namespace slm::tokenizer {

using format::k_no_token;
using format::TokenType;

namespace {

struct VocabEntry {
    std::string mapped;  // the key as written in vocab.json
    bool seen = false;
};

// vocab.json -> mapped text per id, ids checked to be exactly 0..n-1.
Result<std::vector<VocabEntry>> parse_vocab(std::string_view json_text) {
    const nlohmann::json json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
        return tokenizer_error("tokenizer.gpt2_bad_json", "vocab.json is not a JSON object");
    }
    std::vector<VocabEntry> entries(json.size());
    for (const auto& [key, value] : json.items()) {
        if (!value.is_number_unsigned()) {
            return tokenizer_error("tokenizer.gpt2_bad_vocab_id",
                                   "vocab.json: the id of \"" + key + "\" is not a non-negative integer");
        }
        const auto id = value.get<std::uint64_t>();
        if (id >= entries.size() || entries[id].seen) {
            return tokenizer_error("tokenizer.gpt2_ids_not_dense",
                                   "vocab.json: id " + std::to_string(id) + " of \"" + key +
                                       "\" is repeated or outside 0.." + std::to_string(entries.size() - 1));
        }
        entries[id] = {key, true};
    }
    return entries;
}

struct MergeLine {
    std::string left, right;
    std::size_t line;
};

Result<std::vector<MergeLine>> parse_merges(std::string_view text) {
    std::vector<MergeLine> merges;
    std::size_t line_no = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
        const std::size_t space = line.find(' ');
        if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
            line.find(' ', space + 1) != std::string_view::npos) {
            return tokenizer_error("tokenizer.gpt2_bad_merge_line",
                                   "merges.txt line " + std::to_string(line_no) +
                                       ": expected two tokens separated by one space");
        }
        merges.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1)), line_no});
    }
    return merges;
}

}  // namespace

Result<format::TokenizerSection> import_gpt2_bpe(std::string_view vocab_json, std::string_view merges_txt) {
    auto vocab = parse_vocab(vocab_json);
    if (!vocab) return vocab.take_error();
    auto merge_lines = parse_merges(merges_txt);
    if (!merge_lines) return merge_lines.take_error();

    std::unordered_map<std::string, std::uint32_t> id_of;
    id_of.reserve(vocab->size());
    for (std::size_t i = 0; i < vocab->size(); ++i) id_of.emplace((*vocab)[i].mapped, static_cast<std::uint32_t>(i));

    format::TokenizerSection section;
    section.kind = format::TokenizerKind::bpe;
    std::unordered_set<std::uint32_t> merge_results;
    for (const MergeLine& m : *merge_lines) {
        const auto left = id_of.find(m.left);
        const auto right = id_of.find(m.right);
        const auto result = id_of.find(m.left + m.right);
        if (left == id_of.end() || right == id_of.end() || result == id_of.end()) {
            const std::string missing =
                left == id_of.end() ? m.left : right == id_of.end() ? m.right : m.left + m.right;
            return tokenizer_error("tokenizer.gpt2_unknown_merge_token",
                                   "merges.txt line " + std::to_string(m.line) + ": \"" + missing +
                                       "\" is not in vocab.json");
        }
        section.merges.emplace_back(left->second, right->second);
        merge_results.insert(result->second);
    }

    std::vector<bool> has_byte(256);
    section.tokens.resize(vocab->size());
    for (std::size_t i = 0; i < vocab->size(); ++i) {
        const std::string& mapped = (*vocab)[i].mapped;
        format::TokenEntry& token = section.tokens[i];
        const std::optional<std::string> raw = gpt2_text_to_bytes(mapped);
        if (!raw) {
            token.text = mapped;
            token.type = TokenType::user_defined;
            continue;
        }
        token.text = *raw;
        const bool reachable = raw->size() == 1 || merge_results.count(static_cast<std::uint32_t>(i));
        const bool looks_special = raw->size() > 2 && raw->front() == '<' && raw->back() == '>';
        token.type = !reachable && looks_special ? TokenType::control : TokenType::normal;
        if (raw->size() == 1) has_byte[static_cast<unsigned char>((*raw)[0])] = true;
    }
    for (unsigned b = 0; b < 256; ++b) {
        if (!has_byte[b]) {
            return tokenizer_error("tokenizer.gpt2_missing_byte",
                                   "vocab.json has no entry for byte " + std::to_string(b) + " (\"" +
                                       gpt2_bytes_to_text(std::string(1, static_cast<char>(b))) + "\")");
        }
    }

    const auto control_id = [&](std::string_view text) -> std::uint32_t {
        const auto it = id_of.find(std::string(text));
        return it != id_of.end() && section.tokens[it->second].type == TokenType::control ? it->second
                                                                                         : k_no_token;
    };
    if (const std::uint32_t eot = control_id("<|endoftext|>"); eot != k_no_token) {
        section.bos_id = section.eos_id = eot;
    } else {
        section.bos_id = control_id("<s>");
        section.eos_id = control_id("</s>");
    }

    // Hold the result to the same rules as a section read from a file.
    if (auto tok = Tokenizer::create(section); !tok) return tok.take_error();
    return section;
}

}  // namespace slm::tokenizer
