// A validator for the subset of JSON Schema draft 2020-12 that slmctl's own
// schemas use (manifests, policies, eval suites).
//
// Enforced keywords:
//   type (a name or an array of names; "integer" accepts 3 and 3.0),
//   enum, const (JSON equality: 1 == 1.0, true != 1, objects unordered),
//   string:  minLength, maxLength (counted in Unicode code points), pattern
//            (unanchored search with SchemaPattern below),
//   number:  minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers),
//   array:   items (one schema for every item), minItems, maxItems, uniqueItems,
//   object:  properties, required, additionalProperties (bool or schema),
//            minProperties, maxProperties,
//   combine: allOf, anyOf, oneOf, not, $ref, boolean schemas true / false.
// $ref takes a same-document fragment pointer: "#", "#/$defs/name" or any
// "#/json/pointer" into the schema (percent-decoded, RFC 6901 unescaped).
//
// Ignored (annotations, or assertions that 2020-12 makes optional):
//   $schema $id $comment $anchor $dynamicAnchor $vocabulary title description
//   default examples deprecated readOnly writeOnly format contentEncoding
//   contentMediaType contentSchema, and keywords that JSON Schema does not
//   define at all (as the specification requires).
// Refused at compile time, so nobody believes they are enforced:
//   prefixItems contains minContains maxContains additionalItems
//   unevaluatedItems unevaluatedProperties patternProperties propertyNames
//   dependentRequired dependentSchemas dependencies if then else multipleOf
//   $dynamicRef $recursiveRef $recursiveAnchor, and $ref to anything outside
//   this document. Also refused: malformed keyword values (e.g. minLength -1)
//   and $ref cycles that never descend into the document (they could only
//   recurse forever).
//
// The result agrees with python-jsonschema's Draft202012Validator (checked
// by the corpus in tests/data/json_schema/), including where violations are
// reported: "required" and "additionalProperties": false point at the object,
// "uniqueItems" and "items": false at the array, anyOf / oneOf / not at the
// instance they test.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace slm {

struct SchemaViolation {
    std::string pointer;  // JSON pointer into the document, "" for the root, e.g. "/model/n_heads"
    std::string message;  // what was expected and what was found, e.g. "expected integer >= 1, found -3"
};

// The regular expressions of "pattern": the ECMAScript (ECMA-262) syntax
// that schemas use in practice, matched by a linear-time automaton instead of
// std::regex, whose recursive backtracking overflows the stack on strings of
// a few thousand characters (sooner under sanitizers or on WebAssembly's small
// stack) and can take exponential time.
//
// Supported: literals; '.' (any code point but \n \r U+2028 U+2029);
// classes [abc] [^a-z] with \d \D \w \W \s \S and escapes inside;
// ^ and $ (input start / end: no multiline flag); \b \B; groups ( ),
// (?: ), (?<name> ); alternation |; quantifiers * + ? {n} {n,} {n,m} and
// their lazy forms (n, m <= 1000); escapes \t \n \v \f \r \0 \xHH
// \uHHHH (surrogate pairs combine) \cX and escaped punctuation. A '{' that
// does not start a quantifier is a literal (ECMAScript Annex B).
// Refused: lookahead/lookbehind, backreferences, unknown letter escapes,
// patterns that expand past 20000 automaton instructions.
// Matching works on code points of the UTF-8 subject, like RegExp's u flag
// (and Python's re); \d \w and \b use the ASCII (ECMAScript) definitions.
// Unlike Python's re, $ matches only at the very end, not before a final \n.
class SchemaPattern {
public:
    // Errors: ErrorCode::invalid_input, id "json_schema.pattern".
    static Result<SchemaPattern> compile(std::string_view pattern);
    // True when the pattern matches somewhere in `subject` (like RegExp.test).
    bool search(std::string_view subject) const;
    const std::string& source() const { return source_; }

    struct Program;  // the automaton; defined in json_schema.cpp

private:
    SchemaPattern() = default;
    std::string source_;
    std::shared_ptr<const Program> program_;
};

class JsonSchema {
public:
    // Errors: ErrorCode::invalid_input, id "json_schema.invalid", message
    // "<where>: schema at <pointer>: <problem>". `where` names the schema
    // (usually its path) in messages.
    static Result<JsonSchema> compile(const nlohmann::json& schema, std::string where);

    // Every violation found, in schema keyword order and document order; an
    // empty vector means the document is valid. Never throws.
    std::vector<SchemaViolation> validate(const nlohmann::json& doc) const;

    // validate() folded into one error for callers that just gate on it:
    // ErrorCode::invalid_input, id "json_schema.violation", message
    // "<doc_where>: does not match schema <where>: /a/b: expected ..., found ...; ..."
    // (the first few violations, then "and N more").
    Status check(const nlohmann::json& doc, std::string_view doc_where) const;

    const std::string& where() const;

    struct Compiled;  // the schema as a graph of nodes; defined in json_schema.cpp

private:
    explicit JsonSchema(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
    std::shared_ptr<const Compiled> compiled_;  // immutable, so copies share it
};

}  // namespace slm
