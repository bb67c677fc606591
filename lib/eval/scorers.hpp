// Case scorers: decide whether one generated output meets a case's expectation.
//
//   exact        output == expected
//   prefix       output starts with expected
//   contains     expected occurs in output
//   regex        pattern (scorer.pattern, else the case's expected) found in output
//   one_of       output is one of scorer.labels, and it is the expected label
//   json_schema  output is JSON valid against scorer.schema (expected unused)
//   numeric      the first number in output is within tolerance of expected
//                (absolute, or relative to |expected| with relative: true)
//   exact_tokens the generated token ids equal expected_tokens (no text
//                involved: for models whose output is not valid text)
// Text scorers trim ASCII whitespace at both ends of the output and the
// expectation unless trim: false, and compare case-insensitively (ASCII) with
// case_sensitive: false. Scorers are pure: the same output always scores the same.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"
#include "core/result.hpp"

namespace slm::eval {

enum class ScorerKind { exact, prefix, contains, regex, one_of, json_schema, numeric, exact_tokens };

std::string_view scorer_kind_name(ScorerKind kind);

struct Scorer {
    ScorerKind kind = ScorerKind::exact;
    std::optional<SchemaPattern> pattern;  // regex
    std::vector<std::string> labels;       // one_of
    std::optional<JsonSchema> schema;      // json_schema
    double tolerance = 0.0;                // numeric
    bool relative = false;
    bool trim = true;
    bool case_sensitive = true;
};

// What a case expects; which members are needed depends on the scorer.
struct Expectation {
    std::optional<std::string> text;  // "expected" as text (numbers keep their JSON spelling)
    std::optional<double> number;     // "expected" when it is, or parses as, a number
    std::optional<std::vector<std::uint32_t>> tokens;  // "expected_tokens"
};

struct Score {
    bool passed = false;
    std::string message;  // why it failed ("" when passed)
};

// Builds a scorer from its suite spelling (a kind name or an object, already
// schema-checked). Errors (invalid_input) name `where`: bad regex, bad schema.
Result<Scorer> compile_scorer(const nlohmann::json& spec, const std::string& where);

// Checks, when the suite is loaded, that a case carries what its scorer
// needs, and resolves a regex taken from the case's expected text.
Status prepare_case_scorer(Scorer& scorer, const Expectation& expected, const std::string& where);

Score score(const Scorer& scorer, const Expectation& expected, std::string_view output,
            std::span<const std::uint32_t> tokens);

}  // namespace slm::eval
