#include "eval/scorers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace slm::eval {
namespace {

constexpr std::pair<ScorerKind, std::string_view> k_names[] = {
    {ScorerKind::exact, "exact"},         {ScorerKind::prefix, "prefix"},
    {ScorerKind::contains, "contains"},   {ScorerKind::regex, "regex"},
    {ScorerKind::one_of, "one_of"},       {ScorerKind::json_schema, "json_schema"},
    {ScorerKind::numeric, "numeric"},     {ScorerKind::exact_tokens, "exact_tokens"},
};

Error bad(const std::string& where, const std::string& message) {
    return make_error(ErrorCode::invalid_input, "eval.bad_scorer", where + ": " + message);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string normalize(std::string_view s, const Scorer& sc) {
    if (sc.trim) {
        while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    }
    std::string out(s);
    if (!sc.case_sensitive)
        for (char& c : out)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Output shown in messages: at most 80 bytes, quoted.
std::string shown(std::string_view s) {
    std::string out = "\"" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...\"" : "\"");
    return out;
}

// The first decimal number in s (optional sign, fraction, exponent).
std::optional<double> first_number(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool sign = (s[i] == '-' || s[i] == '+') && i + 1 < s.size() &&
                          (std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0);
        if (!sign && std::isdigit(static_cast<unsigned char>(s[i])) == 0) continue;
        std::size_t j = i + (sign ? 1 : 0);
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0) ++j;
        if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1])) != 0) {
            ++j;
            while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0) ++j;
        }
        if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
            std::size_t k = j + 1;
            if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
            if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])) != 0) {
                j = k;
                while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0) ++j;
            }
        }
        return std::strtod(std::string(s.substr(i, j - i)).c_str(), nullptr);
    }
    return std::nullopt;
}

Score pass() { return {true, ""}; }
Score fail(std::string message) { return {false, std::move(message)}; }

}  // namespace

std::string_view scorer_kind_name(ScorerKind kind) {
    for (auto [k, name] : k_names)
        if (k == kind) return name;
    return "?";
}

Result<Scorer> compile_scorer(const nlohmann::json& spec, const std::string& where) {
    Scorer s;
    const std::string kind = spec.is_string() ? spec.get<std::string>() : spec.value("kind", "");
    bool known = false;
    for (auto [k, name] : k_names) {
        if (name == kind) {
            s.kind = k;
            known = true;
        }
    }
    if (!known) return bad(where, "unknown scorer '" + kind + "'");
    if (!spec.is_object()) return s;
    s.trim = spec.value("trim", true);
    s.case_sensitive = spec.value("case_sensitive", true);
    s.tolerance = spec.value("tolerance", 0.0);
    s.relative = spec.value("relative", false);
    if (spec.contains("labels")) s.labels = spec["labels"].get<std::vector<std::string>>();
    if (spec.contains("pattern")) {
        auto p = SchemaPattern::compile(spec["pattern"].get<std::string>());
        if (!p) return bad(where, "invalid regex: " + p.error().message);
        s.pattern = std::move(*p);
    }
    if (spec.contains("schema")) {
        auto schema = JsonSchema::compile(spec["schema"], where + " (scorer schema)");
        if (!schema) return bad(where, schema.error().message);
        s.schema = std::move(*schema);
    }
    if (s.kind == ScorerKind::one_of && s.labels.empty()) return bad(where, "one_of needs 'labels'");
    if (s.kind == ScorerKind::json_schema && !s.schema) return bad(where, "json_schema needs 'schema'");
    return s;
}

Status prepare_case_scorer(Scorer& s, const Expectation& e, const std::string& where) {
    auto need = [&](bool ok, const char* what) -> Status {
        if (ok) return {};
        return make_error(ErrorCode::invalid_input, "eval.bad_case",
                          where + ": scorer " + std::string(scorer_kind_name(s.kind)) + " needs " + what);
    };
    switch (s.kind) {
        case ScorerKind::exact: case ScorerKind::prefix: case ScorerKind::contains:
            return need(e.text.has_value(), "'expected'");
        case ScorerKind::one_of: {
            SLM_TRY(need(e.text.has_value(), "'expected' (one of the labels)"));
            const std::string want = normalize(*e.text, s);
            const bool listed = std::any_of(s.labels.begin(), s.labels.end(),
                                            [&](const std::string& l) { return normalize(l, s) == want; });
            return need(listed, "an 'expected' that is one of its labels");
        }
        case ScorerKind::regex: {
            if (s.pattern) return {};
            SLM_TRY(need(e.text.has_value(), "'pattern' or an 'expected' regex"));
            auto p = SchemaPattern::compile(*e.text);
            if (!p) return make_error(ErrorCode::invalid_input, "eval.bad_case", where + ": invalid regex: " + p.error().message);
            s.pattern = std::move(*p);
            return {};
        }
        case ScorerKind::json_schema: return {};
        case ScorerKind::numeric: return need(e.number.has_value(), "a numeric 'expected'");
        case ScorerKind::exact_tokens: return need(e.tokens.has_value(), "'expected_tokens'");
    }
    return {};
}

Score score(const Scorer& s, const Expectation& e, std::string_view output, std::span<const std::uint32_t> tokens) {
    const std::string got = normalize(output, s);
    switch (s.kind) {
        case ScorerKind::exact:
            return got == normalize(*e.text, s) ? pass() : fail("expected " + shown(*e.text) + ", got " + shown(got));
        case ScorerKind::prefix: {
            const std::string want = normalize(*e.text, s);
            return got.compare(0, want.size(), want) == 0 ? pass()
                                                           : fail("expected a prefix " + shown(want) + ", got " + shown(got));
        }
        case ScorerKind::contains: {
            const std::string want = normalize(*e.text, s);
            return got.find(want) != std::string::npos ? pass() : fail("expected " + shown(want) + " in " + shown(got));
        }
        case ScorerKind::regex:
            return s.pattern->search(got) ? pass() : fail("no match for /" + s.pattern->source() + "/ in " + shown(got));
        case ScorerKind::one_of: {
            const auto it = std::find_if(s.labels.begin(), s.labels.end(),
                                         [&](const std::string& l) { return normalize(l, s) == got; });
            if (it == s.labels.end()) return fail(shown(got) + " is not one of the labels");
            return normalize(*e.text, s) == got ? pass() : fail("expected label " + shown(*e.text) + ", got " + shown(got));
        }
        case ScorerKind::json_schema: {
            const nlohmann::json doc = nlohmann::json::parse(got, nullptr, false);
            if (doc.is_discarded()) return fail("output is not JSON: " + shown(got));
            const auto violations = s.schema->validate(doc);
            if (violations.empty()) return pass();
            return fail("output JSON does not match the schema: " +
                        (violations[0].pointer.empty() ? std::string("/") : violations[0].pointer) + ": " +
                        violations[0].message);
        }
        case ScorerKind::numeric: {
            const auto x = first_number(got);
            if (!x) return fail("no number in " + shown(got));
            const double want = *e.number;
            const double allowed = s.relative ? s.tolerance * std::fabs(want) : s.tolerance;
            return std::fabs(*x - want) <= allowed
                       ? pass()
                       : fail("expected " + std::to_string(want) + " +- " + std::to_string(allowed) + ", got " +
                              std::to_string(*x));
        }
        case ScorerKind::exact_tokens: {
            if (std::equal(tokens.begin(), tokens.end(), e.tokens->begin(), e.tokens->end())) return pass();
            const auto diff = std::mismatch(tokens.begin(), tokens.end(), e.tokens->begin(), e.tokens->end());
            const std::size_t at = static_cast<std::size_t>(diff.first - tokens.begin());
            return fail("token ids differ at position " + std::to_string(at) + " (expected " +
                        std::to_string(e.tokens->size()) + " tokens, got " + std::to_string(tokens.size()) + ")");
        }
    }
    return fail("unknown scorer");
}

}  // namespace slm::eval
