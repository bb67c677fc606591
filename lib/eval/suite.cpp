#include "eval/suite.hpp"

#include <map>

#include "core/hash.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "package/schemas.hpp"
#include "package/yaml_json.hpp"

namespace slm::eval {
namespace {

using nlohmann::json;

Error bad(const std::string& where, const char* id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("eval.") + id, where + ": " + message);
}

std::string resolve(const std::string& base_file, const std::string& rel) {
    if (!rel.empty() && rel[0] == '/') return rel;
    const auto slash = base_file.find_last_of('/');
    return slash == std::string::npos ? rel : base_file.substr(0, slash + 1) + rel;
}

// The suite schema's case definition on its own, for JSONL lines.
Result<JsonSchema> case_schema() {
    const json suite_schema = json::parse(package::embedded_schema("eval-suite.schema.json"));
    return JsonSchema::compile(json{{"$defs", suite_schema["$defs"]}, {"$ref", "#/$defs/case"}},
                               "eval-suite.schema.json#/$defs/case");
}

Result<EvalCase> make_case(const json& c, const json& default_scorer, const std::string& where) {
    EvalCase out;
    out.id = c["id"];
    out.input = c["input"];
    out.where = where;
    out.source = c;
    if (c.contains("expected")) {
        const json& e = c["expected"];
        if (e.is_string()) {
            out.expected.text = e.get<std::string>();
            const std::string& t = *out.expected.text;
            char* end = nullptr;
            const double v = std::strtod(t.c_str(), &end);
            if (!t.empty() && end == t.c_str() + t.size()) out.expected.number = v;
        } else {
            out.expected.number = e.get<double>();
            out.expected.text = e.dump();
        }
    }
    if (c.contains("expected_tokens")) out.expected.tokens = c["expected_tokens"].get<std::vector<std::uint32_t>>();
    const json& spec = c.contains("scorer") ? c["scorer"] : default_scorer;
    if (spec.is_null()) return bad(where, "bad_case", "case '" + out.id + "' has no scorer and the suite sets none");
    auto scorer = compile_scorer(spec, where);
    if (!scorer) return scorer.take_error();
    out.scorer = std::move(*scorer);
    SLM_TRY(prepare_case_scorer(out.scorer, out.expected, where));
    return out;
}

Status read_cases_file(const std::string& path, const json& default_scorer, Suite& s) {
    auto text = read_text_file(path);
    if (!text) return text.take_error();
    auto schema = case_schema();
    if (!schema) return schema.take_error();
    std::size_t line_no = 0, begin = 0;
    while (begin < text->size()) {
        std::size_t end = text->find('\n', begin);
        if (end == std::string::npos) end = text->size();
        const std::string line = text->substr(begin, end - begin);
        begin = end + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = path + ":" + std::to_string(line_no);
        const json c = json::parse(line, nullptr, false);
        if (c.is_discarded()) return bad(where, "bad_jsonl", "not a JSON object on this line");
        SLM_TRY(schema->check(c, where));
        auto made = make_case(c, default_scorer, where);
        if (!made) return made.take_error();
        s.cases.push_back(std::move(*made));
    }
    return {};
}

}  // namespace

Result<Suite> load_suite(const std::string& path) {
    auto bytes = read_binary_file(path);
    if (!bytes) return bytes.take_error();
    auto doc = package::parse_yaml(as_string_view(Bytes(*bytes)), path);
    if (!doc) return doc.take_error();
    SLM_TRY(package::validate_against_schema(doc->value, "eval-suite.schema.json",
                                             [&](const std::string& p) { return doc->locate(p); }));
    const json& j = doc->value;
    Suite s;
    s.path = path;
    s.id = j["suite"];
    s.version = j["version"];
    s.description = j.value("description", "");
    s.input_contract = j["contracts"]["input"];
    s.output_contract = j["contracts"]["output"];
    s.suite_digest = sha256_ref(Bytes(*bytes));
    if (j.contains("generation")) {
        const json& g = j["generation"];
        s.generation.max_tokens = g.value("max_tokens", s.generation.max_tokens);
        s.generation.temperature = g.value("temperature", s.generation.temperature);
        s.generation.top_k = g.value("top_k", s.generation.top_k);
        s.generation.top_p = g.value("top_p", s.generation.top_p);
        s.generation.seed = g.value("seed", s.generation.seed);
        if (g.contains("add_bos")) s.generation.add_bos = g["add_bos"].get<bool>();
        s.generation.stop_at_eos = g.value("stop_at_eos", true);
    }
    const json default_scorer = j.value("scorer", json());
    if (j.contains("cases")) {
        for (std::size_t i = 0; i < j["cases"].size(); ++i) {
            auto c = make_case(j["cases"][i], default_scorer, doc->locate("/cases/" + std::to_string(i)));
            if (!c) return c.take_error();
            s.cases.push_back(std::move(*c));
        }
    }
    if (j.contains("cases_file")) SLM_TRY(read_cases_file(resolve(path, j["cases_file"]), default_scorer, s));

    std::map<std::string, std::string> seen;
    json all = json::array();
    for (std::size_t i = 0; i < s.cases.size(); ++i) {
        s.cases[i].index = i;
        auto [it, fresh] = seen.emplace(s.cases[i].id, s.cases[i].where);
        if (!fresh) return bad(s.cases[i].where, "duplicate_case", "case id '" + s.cases[i].id + "' is already used at " + it->second);
        all.push_back(s.cases[i].source);
    }
    s.cases_digest = sha256_ref(as_bytes(canonical_json(all)));

    if (j.contains("metrics")) {
        const json& m = j["metrics"];
        s.metrics.perplexity = m.value("perplexity", false);
        s.metrics.parent = m.value("parent", false);
        s.metrics.per_line = m.value("per_line", false);
        if (m.contains("text")) s.metrics.text = m["text"];
        if (m.contains("text_file")) {
            auto t = read_text_file(resolve(path, m["text_file"]));
            if (!t) return t.take_error();
            s.metrics.text = std::move(*t);
        }
    }
    if (j.contains("thresholds")) {
        const json& t = j["thresholds"];
        s.thresholds.pass_rate = t.value("pass_rate", 1.0);
        if (t.contains("perplexity_max")) s.thresholds.perplexity_max = t["perplexity_max"].get<double>();
        if (t.contains("kl_max")) s.thresholds.kl_max = t["kl_max"].get<double>();
        if (t.contains("same_top1_min")) s.thresholds.same_top1_min = t["same_top1_min"].get<double>();
    }
    if (s.thresholds.perplexity_max) s.metrics.perplexity = true;
    if (s.thresholds.kl_max || s.thresholds.same_top1_min) s.metrics.parent = true;
    if ((s.metrics.perplexity || s.metrics.parent) && s.metrics.text.empty())
        return bad(doc->locate("/metrics"), "bad_metrics", "perplexity and parent metrics need metrics.text or metrics.text_file");
    if (s.cases.empty() && !s.metrics.perplexity && !s.metrics.parent)
        return bad(path, "empty_suite", "the suite has no cases and no metrics");
    return s;
}

std::vector<const EvalCase*> shard_cases(const Suite& suite, std::uint32_t shard, std::uint32_t shards) {
    std::vector<const EvalCase*> out;
    for (const EvalCase& c : suite.cases)
        if (c.index % shards == shard - 1) out.push_back(&c);
    return out;
}

}  // namespace slm::eval
