// tokenizer.json -> BPE1 / SPM1 (see hf_tokenizer_json.hpp for the shapes read).
#include "interop/hf_tokenizer_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/json_canonical.hpp"
#include "tokenizer/gpt2_bytes.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slm::interop {
namespace {

using format::k_no_token;
using format::TokenType;
using nlohmann::json;

constexpr std::string_view k_space_marker = "\xE2\x96\x81";  // U+2581 "▁"
// The GPT-2 pre-tokenizer regex as tokenizers writes it (what BPE1 implements).
constexpr std::string_view k_gpt2_regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// A value in messages, cut to a readable length.
std::string show(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 100 ? s.substr(0, 97) + "..." : s;
}

struct Ctx {
    const std::string& where;
    Error bad(const std::string& field, const std::string& message) const {
        return make_error(ErrorCode::invalid_input, "hf.bad_tokenizer", where + ": " + field + ": " + message);
    }
    Error unsupported(const std::string& field, const std::string& message) const {
        return make_error(ErrorCode::incompatible, "hf.unsupported_tokenizer",
                          where + ": " + field + ": " + message);
    }
};

std::string type_of(const json& component) {
    const auto it = component.find("type");
    return it != component.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A normalizer / pre_tokenizer / post_processor / decoder as the list of its
// parts: null gives none, a "Sequence" gives its members (nested ones flattened).
Status flatten(const Ctx& c, const json& value, const std::string& field, const char* list_key,
               std::vector<const json*>& out) {
    if (value.is_null()) return {};
    if (!value.is_object() || type_of(value).empty())
        return c.bad(field, "expected null or an object with a string \"type\", found " + show(value));
    if (type_of(value) != "Sequence") {
        out.push_back(&value);
        return {};
    }
    const auto members = value.find(list_key);
    if (members == value.end() || !members->is_array())
        return c.bad(field, std::string("a Sequence needs an array \"") + list_key + "\"");
    for (std::size_t i = 0; i < members->size(); ++i)
        SLM_TRY(flatten(c, (*members)[i], field + "." + list_key + "[" + std::to_string(i) + "]", list_key, out));
    return {};
}

Result<std::vector<const json*>> components(const Ctx& c, const json& root, const char* key, const char* list_key) {
    std::vector<const json*> out;
    const auto it = root.find(key);
    if (it != root.end()) SLM_TRY(flatten(c, *it, key, list_key, out));
    return out;
}

std::string type_list(const std::vector<const json*>& parts) {
    if (parts.empty()) return "null";
    std::string s;
    for (const json* p : parts) s += (s.empty() ? "" : ", ") + type_of(*p);
    return "[" + s + "]";
}

// An optional boolean member (absent or null gives `fallback`).
Result<bool> get_bool(const Ctx& c, const json& obj, const char* key, bool fallback, const std::string& field) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return c.bad(field + "." + key, "expected true or false, found " + show(*it));
    return it->get<bool>();
}

// An optional string member ("" when absent or null).
Result<std::string> get_string(const Ctx& c, const json& obj, const char* key, const std::string& field) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string();
    if (!it->is_string()) return c.bad(field + "." + key, "expected a string, found " + show(*it));
    return it->get<std::string>();
}

struct AddedToken {
    std::uint32_t id;
    std::string content;
    bool special;
};

// The ids of model.vocab and added_tokens, checked to be exactly 0..n-1.
struct Vocabulary {
    std::vector<std::string> text;                // per id: the vocab key or the added token's content
    std::vector<std::optional<AddedToken>> added;  // per id, when the id is an added token
    std::unordered_map<std::string, std::uint32_t> model_ids;  // model.vocab key -> id
};

Result<Vocabulary> read_vocabulary(const Ctx& c, const json& root, const json& model) {
    const auto vocab = model.find("vocab");
    if (vocab == model.end() || !vocab->is_object())
        return c.bad("model.vocab", "expected an object mapping token text to id");
    std::vector<AddedToken> added;
    if (const auto list = root.find("added_tokens"); list != root.end() && !list->is_null()) {
        if (!list->is_array()) return c.bad("added_tokens", "expected an array");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const json& t = (*list)[i];
            const std::string field = "added_tokens[" + std::to_string(i) + "]";
            if (!t.is_object()) return c.bad(field, "expected an object");
            const auto id = t.find("id");
            const auto content = t.find("content");
            if (id == t.end() || !id->is_number_unsigned())
                return c.bad(field + ".id", "expected a non-negative integer");
            if (content == t.end() || !content->is_string() || content->get<std::string>().empty())
                return c.bad(field + ".content", "expected a non-empty string");
            auto special = get_bool(c, t, "special", false, field);
            if (!special) return special.take_error();
            if (id->get<std::uint64_t>() >= k_no_token) return c.bad(field + ".id", "id too large");
            added.push_back({static_cast<std::uint32_t>(id->get<std::uint64_t>()), content->get<std::string>(),
                             *special});
        }
    }
    // Dense ids cannot exceed the number of entries: check before allocating.
    const std::uint64_t entries = vocab->size() + added.size();
    std::uint64_t max_id = 0;
    for (const auto& [text, id] : vocab->items()) {
        if (!id.is_number_unsigned())
            return c.bad("model.vocab", "the id of \"" + text + "\" is not a non-negative integer");
        max_id = std::max<std::uint64_t>(max_id, id.get<std::uint64_t>());
    }
    for (const AddedToken& t : added) max_id = std::max<std::uint64_t>(max_id, t.id);
    if (entries == 0) return c.bad("model.vocab", "the vocabulary is empty");
    if (max_id >= entries)
        return c.bad("model.vocab", "id " + std::to_string(max_id) + " is outside 0.." + std::to_string(entries - 1) +
                                        ": ids of model.vocab and added_tokens must run 0..n-1 without gaps");

    Vocabulary v;
    const auto n = static_cast<std::size_t>(max_id + 1);
    v.text.resize(n);
    v.added.resize(n);
    std::vector<bool> seen(n);
    v.model_ids.reserve(vocab->size());
    for (const auto& [text, id_value] : vocab->items()) {
        const auto id = static_cast<std::uint32_t>(id_value.get<std::uint64_t>());
        if (seen[id])
            return c.bad("model.vocab", "id " + std::to_string(id) + " is used by both \"" + v.text[id] +
                                            "\" and \"" + text + "\"");
        seen[id] = true;
        v.text[id] = text;
        v.model_ids.emplace(text, id);
    }
    for (const AddedToken& t : added) {
        if (v.added[t.id])
            return c.bad("added_tokens", "id " + std::to_string(t.id) + " is listed twice");
        if (seen[t.id] && v.text[t.id] != t.content)
            return c.bad("added_tokens", "token " + std::to_string(t.id) + " \"" + t.content +
                                             "\" has a different text in model.vocab (\"" + v.text[t.id] + "\")");
        seen[t.id] = true;
        v.text[t.id] = t.content;
        v.added[t.id] = t;
    }
    for (std::size_t id = 0; id < n; ++id) {
        if (!seen[id])
            return c.bad("model.vocab", "no token has id " + std::to_string(id) +
                                            " (ids of model.vocab and added_tokens must run 0.." +
                                            std::to_string(n - 1) + " without gaps)");
    }
    return v;
}

// model.merges as (left id, right id, merged id) in rank order. Each entry is
// "left right" (one space, the older format) or ["left", "right"]; both sides
// and their concatenation must be model.vocab keys.
struct Merge {
    std::uint32_t left, right, result;
};

Result<std::vector<Merge>> read_merges(const Ctx& c, const json& model, const Vocabulary& v) {
    std::vector<Merge> out;
    const auto merges = model.find("merges");
    if (merges == model.end() || merges->is_null()) return out;
    if (!merges->is_array()) return c.bad("model.merges", "expected an array");
    out.reserve(merges->size());
    for (std::size_t i = 0; i < merges->size(); ++i) {
        const json& m = (*merges)[i];
        const std::string field = "model.merges[" + std::to_string(i) + "]";
        std::string left, right;
        if (m.is_string()) {
            const std::string s = m.get<std::string>();
            const std::size_t space = s.find(' ');
            if (space == 0 || space == std::string::npos || space + 1 == s.size() ||
                s.find(' ', space + 1) != std::string::npos)
                return c.bad(field, "\"" + s + "\" is not two tokens separated by one space");
            left = s.substr(0, space);
            right = s.substr(space + 1);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            left = m[0].get<std::string>();
            right = m[1].get<std::string>();
        } else {
            return c.bad(field, "expected \"left right\" or [\"left\", \"right\"], found " + show(m));
        }
        const auto l = v.model_ids.find(left), r = v.model_ids.find(right), res = v.model_ids.find(left + right);
        if (l == v.model_ids.end() || r == v.model_ids.end() || res == v.model_ids.end()) {
            const std::string missing = l == v.model_ids.end() ? left : r == v.model_ids.end() ? right : left + right;
            return c.bad(field, "\"" + missing + "\" is not in model.vocab");
        }
        out.push_back({l->second, r->second, res->second});
    }
    return out;
}

// What the post_processor adds around a single sequence: nullopt when there
// is no TemplateProcessing, else the id it prepends (k_no_token for none).
Result<std::optional<std::uint32_t>> template_prefix(const Ctx& c, const std::vector<const json*>& processors) {
    std::optional<std::uint32_t> prefix;
    for (const json* p : processors) {
        const std::string type = type_of(*p);
        if (type == "ByteLevel") continue;  // only trims offsets
        if (type != "TemplateProcessing")
            return c.unsupported("post_processor", "type " + type +
                                                       " is not supported (expected null, ByteLevel or "
                                                       "TemplateProcessing \"$A\" / \"<bos> $A\")");
        if (prefix) return c.unsupported("post_processor", "more than one TemplateProcessing");
        const auto single = p->find("single");
        if (single == p->end() || !single->is_array())
            return c.bad("post_processor.single", "expected an array of template pieces");
        // Accepted: [$A] or [<special>, $A].
        std::string special;
        bool shape_ok = false;
        if (single->size() == 1) {
            shape_ok = (*single)[0].contains("Sequence");
        } else if (single->size() == 2 && (*single)[1].contains("Sequence")) {
            const json& first = (*single)[0];
            const auto st = first.find("SpecialToken");
            if (st != first.end() && st->is_object() && st->contains("id") && (*st)["id"].is_string()) {
                special = (*st)["id"].get<std::string>();
                shape_ok = true;
            }
        }
        if (!shape_ok)
            return c.unsupported("post_processor.single",
                                 show(*single) + ": only the templates \"$A\" and \"<bos> $A\" are supported "
                                                 "(the runtime adds no other tokens)");
        if (special.empty()) {
            prefix = k_no_token;
            continue;
        }
        const json* ids = nullptr;
        if (const auto specials = p->find("special_tokens"); specials != p->end() && specials->is_object()) {
            if (const auto entry = specials->find(special); entry != specials->end() && entry->is_object()) {
                if (const auto it = entry->find("ids"); it != entry->end()) ids = &*it;
            }
        }
        if (ids == nullptr || !ids->is_array() || ids->size() != 1 || !(*ids)[0].is_number_unsigned() ||
            (*ids)[0].get<std::uint64_t>() >= k_no_token)
            return c.bad("post_processor.special_tokens", "\"" + special +
                                                              "\" needs an entry whose \"ids\" holds exactly one id");
        prefix = static_cast<std::uint32_t>((*ids)[0].get<std::uint64_t>());
    }
    return prefix;
}

// ---- byte-level (GPT-2 style) -> BPE1 ----

Status check_byte_level_pipeline(const Ctx& c, const std::vector<const json*>& normalizers,
                                 const std::vector<const json*>& pre, const std::vector<const json*>& decoders) {
    if (!normalizers.empty())
        return c.unsupported("normalizer", type_list(normalizers) +
                                               " is not supported for a byte-level tokenizer (expected null)");
    const auto byte_level_ok = [&](const json& bl, bool want_regex) -> Status {
        auto prefix = get_bool(c, bl, "add_prefix_space", true, "pre_tokenizer");
        if (!prefix) return prefix.take_error();
        if (*prefix)
            return c.unsupported("pre_tokenizer.add_prefix_space",
                                 "ByteLevel with add_prefix_space true (default true) prepends a space to the input, "
                                 "which BPE1 does not do");
        auto regex = get_bool(c, bl, "use_regex", true, "pre_tokenizer");
        if (!regex) return regex.take_error();
        if (*regex != want_regex)
            return c.unsupported("pre_tokenizer.use_regex",
                                 want_regex ? "ByteLevel with use_regex false and no GPT-2 Split before it: the text "
                                              "would not be split the way GPT-2 (and BPE1) splits it"
                                            : "ByteLevel with use_regex true after a Split splits twice");
        return {};
    };
    if (pre.size() == 1 && type_of(*pre[0]) == "ByteLevel") {
        SLM_TRY(byte_level_ok(*pre[0], true));
    } else if (pre.size() == 2 && type_of(*pre[0]) == "Split" && type_of(*pre[1]) == "ByteLevel") {
        const json& split = *pre[0];
        const auto pattern = split.find("pattern");
        const bool gpt2 = pattern != split.end() && pattern->is_object() && pattern->size() == 1 &&
                          pattern->contains("Regex") && (*pattern)["Regex"].is_string() &&
                          (*pattern)["Regex"].get<std::string>() == k_gpt2_regex;
        if (!gpt2)
            return c.unsupported("pre_tokenizer.pattern",
                                 "Split pattern " + (pattern == split.end() ? std::string("(none)") : show(*pattern)) +
                                     " is not GPT-2's regex; BPE1 implements only " + std::string(k_gpt2_regex));
        auto behavior = get_string(c, split, "behavior", "pre_tokenizer");
        if (!behavior) return behavior.take_error();
        auto invert = get_bool(c, split, "invert", false, "pre_tokenizer");
        if (!invert) return invert.take_error();
        if (*behavior != "Isolated" || *invert)
            return c.unsupported("pre_tokenizer", "Split with behavior '" + *behavior + "'" +
                                                      (*invert ? " and invert true" : "") +
                                                      " (GPT-2 splitting is behavior Isolated, invert false)");
        SLM_TRY(byte_level_ok(*pre[1], false));
    } else {
        return c.unsupported("pre_tokenizer", type_list(pre) +
                                                  " is not supported; a byte-level tokenizer must pre-tokenize with "
                                                  "ByteLevel (use_regex true) or Split(GPT-2 regex) + ByteLevel");
    }
    if (decoders.size() != 1 || type_of(*decoders[0]) != "ByteLevel")
        return c.unsupported("decoder", type_list(decoders) + " is not supported for a byte-level tokenizer "
                                                              "(expected ByteLevel)");
    return {};
}

Status fill_byte_level(const Ctx& c, const Vocabulary& v, const std::vector<Merge>& merges,
                       format::TokenizerSection& s) {
    s.kind = format::TokenizerKind::bpe;
    s.tokens.resize(v.text.size());
    std::vector<bool> has_byte(256);
    for (std::size_t id = 0; id < v.text.size(); ++id) {
        format::TokenEntry& t = s.tokens[id];
        if (v.added[id]) {
            // Added tokens are literal text, not GPT-2 spellings.
            t.text = v.added[id]->content;
            t.type = v.added[id]->special ? TokenType::control : TokenType::user_defined;
            continue;
        }
        if (const auto raw = tokenizer::gpt2_text_to_bytes(v.text[id])) {
            t.text = *raw;
            if (raw->size() == 1) has_byte[static_cast<unsigned char>((*raw)[0])] = true;
        } else {
            t.text = v.text[id];
            t.type = TokenType::user_defined;
        }
    }
    for (unsigned b = 0; b < 256; ++b) {
        if (!has_byte[b])
            return c.bad("model.vocab", "no token for byte " + std::to_string(b) + " (\"" +
                                            tokenizer::gpt2_bytes_to_text(std::string(1, static_cast<char>(b))) +
                                            "\"); a byte-level vocabulary needs all 256");
    }
    s.merges.reserve(merges.size());
    for (const Merge& m : merges) s.merges.emplace_back(m.left, m.right);
    return {};
}

// ---- sentencepiece style -> SPM1 ----

// How the text's spaces become ▁ and whether one is prepended.
Result<bool> check_spm_pipeline(const Ctx& c, const std::vector<const json*>& normalizers,
                                const std::vector<const json*>& pre, const Vocabulary& v) {
    bool prepend = false, replace = false;
    for (std::size_t i = 0; i < normalizers.size(); ++i) {
        const json& n = *normalizers[i];
        const std::string type = type_of(n);
        if (type == "Prepend") {
            auto text = get_string(c, n, "prepend", "normalizer");
            if (!text) return text.take_error();
            if (*text != k_space_marker || prepend)
                return c.unsupported("normalizer", "Prepend \"" + *text + "\" (only one Prepend of \"▁\" is supported)");
            prepend = true;
        } else if (type == "Replace") {
            const auto pattern = n.find("pattern");
            auto content = get_string(c, n, "content", "normalizer");
            if (!content) return content.take_error();
            const bool space = pattern != n.end() && pattern->is_object() && pattern->size() == 1 &&
                               pattern->contains("String") && (*pattern)["String"] == " ";
            if (!space || *content != k_space_marker || replace)
                return c.unsupported("normalizer", "Replace " + (pattern == n.end() ? std::string("?") : show(*pattern)) +
                                                       " -> \"" + *content +
                                                       "\" (only one Replace of \" \" with \"▁\" is supported)");
            replace = true;
        } else {
            return c.unsupported("normalizer", "type " + type +
                                                   " is not supported for a sentencepiece-style tokenizer (expected "
                                                   "Prepend \"▁\" and Replace \" \" -> \"▁\")");
        }
    }
    if (!normalizers.empty()) {
        if (!replace)
            return c.unsupported("normalizer", type_list(normalizers) + " does not turn spaces into ▁ "
                                                                        "(Replace \" \" -> \"▁\" is missing)");
        if (!pre.empty())
            return c.unsupported("pre_tokenizer", type_list(pre) +
                                                      " is not supported together with a space-replacing normalizer "
                                                      "(expected null)");
        return prepend;
    }
    if (pre.size() != 1 || type_of(*pre[0]) != "Metaspace")
        return c.unsupported("pre_tokenizer",
                             type_list(pre) + " is not supported for a sentencepiece-style tokenizer: spaces must "
                                              "become ▁ through a Metaspace pre-tokenizer or a Prepend/Replace "
                                              "normalizer");
    const json& ms = *pre[0];
    auto replacement = get_string(c, ms, "replacement", "pre_tokenizer");
    if (!replacement) return replacement.take_error();
    if (*replacement != k_space_marker)
        return c.unsupported("pre_tokenizer.replacement", "\"" + *replacement + "\" (only \"▁\" is supported)");
    bool prefix = true;
    if (const auto scheme = ms.find("prepend_scheme"); scheme != ms.end() && !scheme->is_null()) {
        if (!scheme->is_string() || (*scheme != "always" && *scheme != "first" && *scheme != "never"))
            return c.bad("pre_tokenizer.prepend_scheme", "expected \"always\", \"first\" or \"never\", found " +
                                                             show(*scheme));
        prefix = *scheme != "never";
    } else {
        auto legacy = get_bool(c, ms, "add_prefix_space", true, "pre_tokenizer");
        if (!legacy) return legacy.take_error();
        prefix = *legacy;
    }
    auto split = get_bool(c, ms, "split", true, "pre_tokenizer");
    if (!split) return split.take_error();
    if (*split) {
        // Splitting before each ▁ only matters for pieces with a ▁ after their
        // first character; without such pieces SPM1 (which never splits) agrees.
        for (std::size_t id = 0; id < v.text.size(); ++id) {
            if (!v.added[id] && v.text[id].find(k_space_marker, 1) != std::string::npos)
                return c.unsupported("pre_tokenizer.split",
                                     "Metaspace splits words at ▁ but piece " + std::to_string(id) + " \"" +
                                         v.text[id] + "\" has a ▁ inside, which SPM1 (no splitting) could produce");
        }
    }
    return prefix;
}

bool is_byte_piece(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return false;
    const auto hex = [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'); };
    return hex(text[3]) && hex(text[4]);  // byte_fallback looks up "<0x%02X>": upper case only
}

// Scores from merge ranks. Hugging Face's BPE merges the adjacent pair with
// the lowest merge rank; SPM1 (llama.cpp's algorithm) merges the adjacent pair
// whose concatenation is the highest-scoring piece. A piece first produced by
// merge rank r (0-based) scores -(r + 1), so "highest score first" is "lowest
// rank first". Edge behaviour:
//   - pieces no merge produces (single characters, byte and special tokens,
//     added tokens) score 0, above every merged piece; single characters are
//     never candidates, and for the others Hugging Face would never merge into
//     them at all (SPM1 merges them first when their parts are adjacent);
//   - a piece produced by several merges keeps its lowest rank, and SPM1 also
//     merges splits of a piece that have no merge of their own. Vocabularies
//     converted from sentencepiece list a merge for every split, so neither
//     matters for them;
//   - equal scores (only possible in the cases above) go to the leftmost pair,
//     where Hugging Face goes to the lowest rank;
//   - ranks beyond 2^24 lose precision in f32 and would tie.
void score_from_merges(const std::vector<Merge>& merges, format::TokenizerSection& s) {
    std::vector<bool> scored(s.tokens.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const std::uint32_t id = merges[rank].result;
        if (scored[id]) continue;
        scored[id] = true;
        s.tokens[id].score = -static_cast<float>(rank + 1);
    }
}

Status fill_sentencepiece(const Ctx& c, const json& model, const Vocabulary& v, const std::vector<Merge>& merges,
                          bool byte_fallback, format::TokenizerSection& s) {
    s.kind = format::TokenizerKind::sentencepiece;
    auto unk = get_string(c, model, "unk_token", "model");
    if (!unk) return unk.take_error();
    if (!unk->empty()) {
        const auto it = v.model_ids.find(*unk);
        if (it == v.model_ids.end()) return c.bad("model.unk_token", "\"" + *unk + "\" is not in model.vocab");
        s.unk_id = it->second;
    }
    s.tokens.resize(v.text.size());
    bool any_byte = false;
    for (std::size_t id = 0; id < v.text.size(); ++id) {
        format::TokenEntry& t = s.tokens[id];
        t.text = v.text[id];
        if (id == s.unk_id) t.type = TokenType::unknown;
        else if (v.added[id]) t.type = v.added[id]->special ? TokenType::control : TokenType::user_defined;
        else if (is_byte_piece(t.text)) t.type = TokenType::byte;
        if (t.type == TokenType::byte) any_byte = true;
    }
    if (!byte_fallback && any_byte)
        return c.unsupported("model.byte_fallback",
                             "false, but the vocabulary has <0xXX> byte tokens, which SPM1 always falls back to");
    score_from_merges(merges, s);
    return {};
}

}  // namespace

Result<format::TokenizerSection> tokenizer_from_hf_json(std::string_view json_text, const std::string& where,
                                                        const HfTokenizerHints& hints) {
    const Ctx c{where};
    auto parsed = parse_json(json_text, where);
    if (!parsed) {
        Error e = parsed.take_error();
        e.id = "hf.bad_tokenizer";
        return e;
    }
    const json& root = *parsed;
    if (!root.is_object()) return c.bad("(top level)", "expected a JSON object");
    const auto model_it = root.find("model");
    if (model_it == root.end() || !model_it->is_object()) return c.bad("model", "expected an object");
    const json& model = *model_it;
    auto model_type = get_string(c, model, "type", "model");
    if (!model_type) return model_type.take_error();
    if (model_type->empty() && !model.contains("merges")) return c.bad("model.type", "missing");
    if (!model_type->empty() && *model_type != "BPE")
        return c.unsupported("model.type", "'" + *model_type + "' is not supported (only BPE; WordPiece, Unigram "
                                                               "and WordLevel are not)");
    if (const auto dropout = model.find("dropout");
        dropout != model.end() && !dropout->is_null() && !(dropout->is_number() && dropout->get<double>() == 0.0))
        return c.unsupported("model.dropout", show(*dropout) + " (BPE dropout is random; expected null)");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        auto value = get_string(c, model, key, "model");
        if (!value) return value.take_error();
        if (!value->empty())
            return c.unsupported(std::string("model.") + key, "\"" + *value + "\" is not supported (expected null)");
    }
    auto ignore_merges = get_bool(c, model, "ignore_merges", false, "model");
    if (!ignore_merges) return ignore_merges.take_error();
    if (*ignore_merges)
        return c.unsupported("model.ignore_merges",
                             "true (whole words found in the vocabulary skip the merges) is not supported");
    auto byte_fallback = get_bool(c, model, "byte_fallback", false, "model");
    if (!byte_fallback) return byte_fallback.take_error();

    auto normalizers = components(c, root, "normalizer", "normalizers");
    if (!normalizers) return normalizers.take_error();
    auto pre = components(c, root, "pre_tokenizer", "pretokenizers");
    if (!pre) return pre.take_error();
    auto decoders = components(c, root, "decoder", "decoders");
    if (!decoders) return decoders.take_error();
    auto processors = components(c, root, "post_processor", "processors");
    if (!processors) return processors.take_error();

    const auto has = [](const std::vector<const json*>& parts, const char* type) {
        return std::any_of(parts.begin(), parts.end(), [&](const json* p) { return type_of(*p) == type; });
    };
    const bool byte_level = has(*pre, "ByteLevel");
    const bool spm = *byte_fallback || has(*pre, "Metaspace") || has(*normalizers, "Replace") ||
                     has(*normalizers, "Prepend");
    if (byte_level && spm)
        return c.unsupported("pre_tokenizer", "mixes a byte-level pre-tokenizer with sentencepiece-style parts "
                                              "(byte_fallback / Metaspace / ▁ normalizer)");
    if (!byte_level && !spm)
        return c.unsupported("pre_tokenizer",
                             "neither byte-level (a ByteLevel pre-tokenizer, GPT-2 style) nor sentencepiece style "
                             "(byte_fallback, Metaspace or a ▁ normalizer, llama style); found pre_tokenizer " +
                                 type_list(*pre) + ", normalizer " + type_list(*normalizers));

    auto vocab = read_vocabulary(c, root, model);
    if (!vocab) return vocab.take_error();
    auto merges = read_merges(c, model, *vocab);
    if (!merges) return merges.take_error();

    format::TokenizerSection s;
    if (byte_level) {
        SLM_TRY(check_byte_level_pipeline(c, *normalizers, *pre, *decoders));
        SLM_TRY(fill_byte_level(c, *vocab, *merges, s));
        auto unk = get_string(c, model, "unk_token", "model");
        if (!unk) return unk.take_error();
        if (!unk->empty()) {
            const auto it = vocab->model_ids.find(*unk);
            if (it == vocab->model_ids.end()) return c.bad("model.unk_token", "\"" + *unk + "\" is not in model.vocab");
            s.unk_id = it->second;
        }
    } else {
        auto prefix = check_spm_pipeline(c, *normalizers, *pre, *vocab);
        if (!prefix) return prefix.take_error();
        if (*prefix) s.flags |= format::k_tokflag_add_space_prefix;
        SLM_TRY(fill_sentencepiece(c, model, *vocab, *merges, *byte_fallback, s));
    }

    // BOS / EOS: config.json's ids, else the usual added tokens.
    const auto added_id = [&](std::initializer_list<std::string_view> texts) -> std::uint32_t {
        for (const std::string_view text : texts) {
            for (std::size_t id = 0; id < vocab->text.size(); ++id)
                if (vocab->added[id] && vocab->added[id]->content == text) return static_cast<std::uint32_t>(id);
        }
        return k_no_token;
    };
    const std::uint32_t n = static_cast<std::uint32_t>(s.tokens.size());
    s.bos_id = hints.bos_id != k_no_token ? hints.bos_id : added_id({"<s>", "<|endoftext|>"});
    s.eos_id = hints.eos_id != k_no_token ? hints.eos_id : added_id({"</s>", "<|endoftext|>"});
    for (auto [id, name] : {std::pair{s.bos_id, "bos_token_id"}, std::pair{s.eos_id, "eos_token_id"}}) {
        if (id != k_no_token && id >= n)
            return c.bad("model.vocab", std::string("config.json ") + name + " " + std::to_string(id) +
                                            " is outside the vocabulary (" + std::to_string(n) + " tokens)");
    }

    auto prefix = template_prefix(c, *processors);
    if (!prefix) return prefix.take_error();
    if (!*prefix) {
        if (!byte_level && s.bos_id != k_no_token) s.flags |= format::k_tokflag_add_bos;
    } else if (**prefix != k_no_token) {
        const std::uint32_t id = **prefix;
        if (id >= n)
            return c.bad("post_processor.special_tokens", "id " + std::to_string(id) + " is outside the vocabulary");
        if (s.bos_id != k_no_token && s.bos_id != id)
            return c.unsupported("post_processor", "the template prepends token " + std::to_string(id) +
                                                       " but the BOS token is " + std::to_string(s.bos_id) +
                                                       " (config.json bos_token_id)");
        s.bos_id = id;
        s.flags |= format::k_tokflag_add_bos;
    }

    if (auto tok = tokenizer::Tokenizer::create(s); !tok) {
        Error e = tok.take_error();
        e.message = where + ": the vocabulary is unusable: " + e.message;
        return e;
    }
    return s;
}

}  // namespace slm::interop
