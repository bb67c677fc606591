#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "core/json_schema.hpp"

using nlohmann::json;

namespace {

const std::string k_corpus = std::string(SLM_SOURCE_DIR) + "/tests/data/json_schema";

json load(const std::string& path) {
    auto text = slm::read_text_file(path);
    REQUIRE_MESSAGE(text.ok(), (text.ok() ? "" : text.error().message));
    auto doc = slm::parse_json(*text, path);
    REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().message));
    return *doc;
}

slm::JsonSchema compiled(const json& schema) {
    auto s = slm::JsonSchema::compile(schema, "test-schema");
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    return *s;
}

std::string compile_error(const json& schema) {
    auto s = slm::JsonSchema::compile(schema, "bad.schema.json");
    REQUIRE(!s.ok());
    CHECK(s.error().code == slm::ErrorCode::invalid_input);
    CHECK(s.error().id == "json_schema.invalid");
    return s.error().message;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

// The corpus: validity and violation locations produced by python-jsonschema
// (see tests/data/json_schema/generate_expected.py).
TEST_CASE("json schema: agrees with python-jsonschema on the corpus") {
    const json expected = load(k_corpus + "/expected.json");
    const json& results = expected.at("results");
    REQUIRE(results.size() >= 200);
    std::map<std::string, slm::JsonSchema> schemas;
    std::set<std::string> cases, keywords;
    for (const auto& r : results) {
        const std::string c = r.at("case").get<std::string>();
        const std::string doc_name = r.at("doc").get<std::string>();
        const std::string dir = k_corpus + "/cases/" + c;
        if (!schemas.count(c)) {
            const json schema = load(dir + "/schema.json");
            if (schema.is_object()) {
                for (auto it = schema.begin(); it != schema.end(); ++it) keywords.insert(it.key());
            }
            schemas.emplace(c, compiled(schema));
        }
        cases.insert(c);
        const json doc = load(dir + "/" + doc_name);
        const auto violations = schemas.at(c).validate(doc);

        std::set<std::string> got;
        std::string listing;
        for (const auto& v : violations) {
            got.insert(v.pointer);
            listing += "\n  " + (v.pointer.empty() ? std::string("(root)") : v.pointer) + ": " + v.message;
        }
        const auto want = r.at("error_pointers").get<std::set<std::string>>();
        INFO(c, "/", doc_name, listing);
        CHECK(violations.empty() == r.at("valid").get<bool>());
        CHECK(got == want);
    }
    CHECK(cases.size() >= 40);
    for (const char* k : {"type", "enum", "const", "pattern", "minLength", "maxLength", "$defs", "$ref", "required",
                          "properties", "additionalProperties", "items", "minItems", "maxItems", "uniqueItems",
                          "allOf", "anyOf", "oneOf", "not", "minimum", "maximum", "exclusiveMinimum",
                          "exclusiveMaximum", "minProperties", "maxProperties"}) {
        CAPTURE(k);
        CHECK(keywords.count(k) == 1);  // every supported keyword appears at the top of some corpus schema
    }
}

TEST_CASE("json schema: messages say what was expected and what was found") {
    const auto schema = compiled(json::parse(R"({
        "type": "object", "required": ["model", "name"], "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z.]+$", "minLength": 3},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true, "maxItems": 3},
            "model": {"type": "object", "properties": {
                "n_heads": {"type": "integer", "minimum": 1},
                "eps": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.1}}}}})"));
    const auto v = schema.validate(json::parse(R"({
        "name": "AB", "extra": 1, "tags": ["a", "c", "a", "b"],
        "model": {"n_heads": -3, "eps": 0}})"));
    std::map<std::string, std::vector<std::string>> by_pointer;
    for (const auto& x : v) by_pointer[x.pointer].push_back(x.message);

    CHECK(by_pointer["/model/n_heads"] == std::vector<std::string>{"expected integer >= 1, found -3"});
    CHECK(by_pointer["/model/eps"] == std::vector<std::string>{"expected number > 0, found 0"});
    CHECK(by_pointer[""] == std::vector<std::string>{"unexpected property \"extra\" (additionalProperties is false)"});
    REQUIRE(by_pointer["/name"].size() == 2);
    CHECK(by_pointer["/name"][0] == "expected a string of at least 3 characters, found 2");
    CHECK(by_pointer["/name"][1] == "expected a string matching /^[a-z.]+$/, found \"AB\"");
    REQUIRE(by_pointer["/tags"].size() == 2);
    CHECK(by_pointer["/tags"][0] == "expected at most 3 items, found 4");
    CHECK(by_pointer["/tags"][1] == "expected unique items, found item 2 equal to item 0 (\"a\")");
    CHECK(by_pointer["/tags/1"] == std::vector<std::string>{"expected one of \"a\", \"b\", found \"c\""});

    const auto missing = schema.validate(json::parse(R"({"name": "abc"})"));
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].pointer == "");
    CHECK(missing[0].message == "missing required property \"model\"");

    const auto type = schema.validate(json::parse(R"({"name": 7, "model": []})"));
    REQUIRE(type.size() == 2);
    CHECK(type[0].pointer == "/model");
    CHECK(type[0].message == "expected object, found array of 0 items");
    CHECK(type[1].pointer == "/name");
    CHECK(type[1].message == "expected string, found integer 7");
}

TEST_CASE("json schema: combinator messages summarize each branch") {
    const auto any = compiled(json::parse(R"({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 10}]})"));
    auto v = any.validate(json(5));
    REQUIRE(v.size() == 1);
    CHECK(v[0].message ==
          "expected a match for at least one schema in anyOf, matched none: [0] expected string, found integer 5; "
          "[1] expected integer >= 10, found 5;");

    const auto one = compiled(json::parse(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})"));
    v = one.validate(json(3));
    REQUIRE(v.size() == 1);
    CHECK(v[0].message == "expected a match for exactly one schema in oneOf, matched 2 (0, 1)");
    CHECK(one.validate(json(1)).empty());

    const auto neg = compiled(json::parse(R"({"properties": {"k": {"not": {"const": "root"}}}})"));
    v = neg.validate(json::parse(R"({"k": "root"})"));
    REQUIRE(v.size() == 1);
    CHECK(v[0].pointer == "/k");
    CHECK(v[0].message == "expected no match for the schema in \"not\", found string \"root\", which matches it");

    v = compiled(json(false)).validate(json(1));
    REQUIRE(v.size() == 1);
    CHECK(v[0].message == "no value is allowed here (schema is false), found integer 1");
}

TEST_CASE("json schema: check() folds violations into one error") {
    const auto schema = compiled(json::parse(R"({"items": {"type": "integer"}})"));
    CHECK(schema.check(json::parse("[1, 2]"), "doc.json").ok());
    auto st = schema.check(json::parse(R"([1, "a", "b", "c", "d", "e", "f"])"), "doc.json");
    REQUIRE(!st.ok());
    CHECK(st.error().code == slm::ErrorCode::invalid_input);
    CHECK(st.error().id == "json_schema.violation");
    CHECK(st.error().message.rfind("doc.json: does not match schema test-schema: /1: expected integer, found string "
                                   "\"a\"; /2: ",
                                   0) == 0);
    CHECK(contains(st.error().message, "(and 1 more)"));
}

TEST_CASE("json schema: unsupported validation keywords are refused at compile time") {
    for (const char* k : {"prefixItems", "contains", "minContains", "maxContains", "unevaluatedItems",
                          "unevaluatedProperties", "patternProperties", "propertyNames", "dependentRequired",
                          "dependentSchemas", "dependencies", "if", "then", "else", "multipleOf", "$dynamicRef",
                          "additionalItems"}) {
        CAPTURE(k);
        json schema = {{"properties", {{"a", {{k, json::object()}}}}}};
        CHECK(compile_error(schema) == std::string("bad.schema.json: schema at /properties/a: keyword \"") + k +
                                           "\" is not supported by this validator");
    }
}

TEST_CASE("json schema: annotations and unknown keywords are accepted") {
    const auto schema = compiled(json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x", "$comment": "c",
        "$anchor": "a", "title": "t", "description": "d", "default": 1, "examples": [1], "deprecated": false,
        "readOnly": true, "writeOnly": false, "format": "date-time", "contentEncoding": "base64",
        "contentMediaType": "text/plain", "x-extension": {"type": "string"}, "type": "integer"})"));
    CHECK(schema.validate(json(1)).empty());
    CHECK(schema.validate(json("1")).size() == 1);
}

TEST_CASE("json schema: malformed keyword values are compile errors naming the place") {
    CHECK(compile_error(json::parse(R"({"minLength": -1})")) ==
          "bad.schema.json: schema at (root): keyword \"minLength\" expects a non-negative integer, found integer -1");
    CHECK(contains(compile_error(json::parse(R"({"maxItems": 1.5})")), "found number 1.5"));
    CHECK(contains(compile_error(json::parse(R"({"type": "int"})")), "keyword \"type\" expects a type name"));
    CHECK(contains(compile_error(json::parse(R"({"type": ["string", "string"]})")), "distinct type names"));
    CHECK(contains(compile_error(json::parse(R"({"type": []})")), "keyword \"type\""));
    CHECK(contains(compile_error(json::parse(R"({"required": ["a", "a"]})")), "distinct strings"));
    CHECK(contains(compile_error(json::parse(R"({"required": "a"})")), "keyword \"required\""));
    CHECK(contains(compile_error(json::parse(R"({"enum": 1})")), "keyword \"enum\" expects an array"));
    CHECK(contains(compile_error(json::parse(R"({"minimum": "0"})")), "keyword \"minimum\" expects a number"));
    CHECK(contains(compile_error(json::parse(R"({"uniqueItems": 1})")), "expects a boolean"));
    CHECK(contains(compile_error(json::parse(R"({"anyOf": []})")), "non-empty array of schemas"));
    CHECK(contains(compile_error(json::parse(R"({"allOf": [1]})")),
                   "schema at /allOf/0: a schema must be an object or a boolean, found integer 1"));
    CHECK(contains(compile_error(json::parse(R"({"items": [{}]})")), "array form"));
    CHECK(contains(compile_error(json::parse(R"({"pattern": "a("})")), "invalid or unsupported regular expression \"a(\": missing ')' at offset 2"));
    CHECK(contains(compile_error(json::parse(R"({"$defs": {"x": {"minItems": -2}}})")), "schema at /$defs/x:"));
    CHECK(contains(compile_error(json("schema")), "a schema must be an object or a boolean"));
    CHECK(contains(compile_error(json::parse(R"({"properties": {"a": 3}})")), "schema at /properties/a:"));
}

TEST_CASE("json schema: $ref resolution") {
    CHECK(contains(compile_error(json::parse(R"({"$ref": "#/$defs/missing"})")),
                   "$ref \"#/$defs/missing\" does not resolve: no \"$defs\" at (root)"));
    CHECK(contains(compile_error(json::parse(R"({"$defs": {}, "$ref": "#/$defs/missing"})")),
                   "no \"missing\" at /$defs"));
    CHECK(contains(compile_error(json::parse(R"({"$ref": "other.json#/a"})")), "only same-document references"));
    CHECK(contains(compile_error(json::parse(R"({"$ref": "#anchor"})")), "plain-name fragments"));
    CHECK(contains(compile_error(json::parse(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}},
                                               "$ref": "#/$defs/a"})")),
                   "reference cycle that never descends into the document"));
    CHECK(contains(compile_error(json::parse(R"({"$ref": "#"})")), "reference cycle"));

    // Recursion through a child is fine, and refs can point into arrays.
    const auto list = compiled(json::parse(R"({"anyOf": [{"type": "null"}, {"type": "array", "items": {"$ref": "#"}}],
                                              "$defs": {"x": {"$ref": "#/anyOf/0"}}})"));
    CHECK(list.validate(json::parse("[[], [null, [[]]]]")).empty());
    CHECK(list.validate(json::parse("[[1]]")).size() == 1);
}

TEST_CASE("json schema: numbers compare exactly across representations") {
    const auto schema = compiled(json::parse(R"({"maximum": 18446744073709551615, "minimum": -9223372036854775808})"));
    CHECK(schema.validate(json(std::uint64_t{18446744073709551615u})).empty());
    CHECK(schema.validate(json(1.8446744073709552e19)).size() == 1);  // 2^64 as a double is above the maximum
    CHECK(schema.validate(json(-9.3e18)).size() == 1);
    const auto exclusive = compiled(json::parse(R"({"exclusiveMinimum": 9007199254740992.0})"));
    CHECK(exclusive.validate(json(std::int64_t{9007199254740993})).empty());
    CHECK(exclusive.validate(json(std::int64_t{9007199254740992})).size() == 1);
}

// Expected results were checked against Node.js's RegExp, an independent
// ECMAScript engine: new RegExp(pattern, "u").test(subject) (the u flag for
// code-point matching; without it for the two Annex B patterns u rejects).
TEST_CASE("json schema: pattern syntax and matching") {
    struct Case {
        const char* pattern;
        const char* subject;
        bool match;
    };
    const Case cases[] = {
        {"abc", "xxabcxx", true},
        {"^abc$", "abc", true},
        {"^abc$", "abcd", false},
        {"^abc$", "abc\n", false},
        {"", "anything", true},
        {"^$", "", true},
        {"^$", "x", false},
        {"a|b|c", "zzc", true},
        {"^(a|bc)+$", "abcabc", true},
        {"^(a|bc)+$", "abcb", false},
        {"^a*$", "", true},
        {"^a+$", "", false},
        {"^colou?r$", "color", true},
        {"^colou?r$", "colour", true},
        {"^a{3}$", "aaa", true},
        {"^a{3}$", "aaaa", false},
        {"^a{2,}$", "aaaaa", true},
        {"^a{2,}$", "a", false},
        {"^a{2,3}$", "aaa", true},
        {"^a{2,3}$", "aaaa", false},
        {"^a{,3}$", "a{,3}", true},
        {"^x{$", "x{", true},
        {"^a{2}?$", "aa", true},
        {"^a+?b*?$", "aab", true},
        {"^.$", "\xC3\xA9", true},
        {"^.$", "\xF0\x9F\x98\x80", true},
        {"^..$", "\xF0\x9F\x98\x80", false},
        {"^.$", "\n", false},
        {"^[a-z]+$", "hello", true},
        {"^[a-z]+$", "Hello", false},
        {"^[^a-z]+$", "ABC123", true},
        {"^[^a-z]+$", "ABc", false},
        {"^[a\\-z]+$", "a-z", true},
        {"^[a\\-z]+$", "b", false},
        {"^[-a]+$", "-a-", true},
        {"^[a-]+$", "-a-", true},
        {"^[\\d.]+$", "1.2.3", true},
        {"^[\\w-]+$", "model_v2-final", true},
        {"^[\\w-]+$", "model v2", false},
        {"^[\\D]+$", "abc", true},
        {"^[\\D]+$", "ab1", false},
        {"^[\\]]$", "]", true},
        {"^[.]$", "x", false},
        {"^\\d+$", "0123456789", true},
        {"^\\d+$", "12a", false},
        {"^\\D+$", "abc", true},
        {"^\\w+$", "snake_case9", true},
        {"^\\W+$", "-+ !", true},
        {"^\\s+$", " \t\n\r\v\f", true},
        {"^\\S+$", "a b", false},
        {"\\bfoo\\b", "a foo b", true},
        {"\\bfoo\\b", "afoo", false},
        {"\\Bfoo", "afoo", true},
        {"^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/$", ".*+?()[]{}|^$\\/", true},
        {"^\\x41\\u0042$", "AB", true},
        {"^\\u00e9$", "\xC3\xA9", true},
        {"^\\ud83d\\ude00$", "\xF0\x9F\x98\x80", true},
        {"^[\\u00e0-\\u00ff]+$", "\xC3\xA0\xC3\xBF", true},
        {"^\\t\\n$", "\t\n", true},
        {"^\\cJ$", "\n", true},
        {"^(?:ab)+$", "abab", true},
        {"^(?<word>ab)+$", "abab", true},
        {"^sha256:[0-9a-f]{64}$", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
        {"^sha256:[0-9a-f]{64}$", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false},
        {"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$", "10.0.3-rc.1", true},
        {"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$", "1.02.3", false},
        {"(a*)*b", "aaaa", false},
        {"^(a|ab)(c|bcd)(d*)$", "abcd", true},
    };
    for (const auto& c : cases) {
        CAPTURE(c.pattern);
        CAPTURE(c.subject);
        auto p = slm::SchemaPattern::compile(c.pattern);
        REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
        CHECK(p->search(c.subject) == c.match);
    }
}

TEST_CASE("json schema: unsupported or malformed patterns are compile errors") {
    for (const char* bad : {"a(", "a)", "[a-", "[z-a]", "*a", "a**", "a{3}+", "{2}", "(?=a)", "(?!a)", "(?<=a)b",
                            "(a)\\1", "\\q", "\\", "a{1001}", "(((a{1000}){1000}){1000})", "\\x4", "\\u12"}) {
        CAPTURE(bad);
        auto p = slm::SchemaPattern::compile(bad);
        REQUIRE(!p.ok());
        CHECK(p.error().code == slm::ErrorCode::invalid_input);
        CHECK(p.error().id == "json_schema.pattern");
    }
    CHECK(contains(compile_error(json::parse(R"j({"pattern": "(?=x)"})j")),
                   "schema at (root): keyword \"pattern\": invalid or unsupported regular expression \"(?=x)\": "
                   "lookahead, lookbehind and other (? groups are not supported at offset 1"));
}

TEST_CASE("json schema: patterns run in linear time without recursion") {
    // Each of these overflows the stack or backtracks exponentially in std::regex.
    const std::string long_a(1'000'000, 'a');
    auto p = slm::SchemaPattern::compile("^(a|b)*$");
    REQUIRE(p.ok());
    CHECK(p->search(long_a));
    auto evil = slm::SchemaPattern::compile("^(a|aa)*c$");
    REQUIRE(evil.ok());
    CHECK(!evil->search(std::string(100'000, 'a')));
    auto nested = slm::SchemaPattern::compile("^(a+)+$");
    REQUIRE(nested.ok());
    CHECK(!nested->search(std::string(100'000, 'a') + "!"));
    const auto schema = compiled(json::parse(R"({"pattern": "^[a-z]+(\\.[a-z]+)*$"})"));
    std::string name;
    for (int i = 0; i < 20000; ++i) name += "abc.";
    CHECK(schema.validate(json(name + "x")).empty());
    CHECK(schema.validate(json(name)).size() == 1);
}

TEST_CASE("json schema: deep documents do not exhaust the stack") {
    const auto schema = compiled(json::parse(R"({"$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"})"));
    json doc = json::array();
    for (int i = 0; i < 5000; ++i) {
        json outer = json::array();
        outer.push_back(std::move(doc));
        doc = std::move(outer);
    }
    const auto v = schema.validate(doc);
    REQUIRE(v.size() == 1);
    CHECK(contains(v[0].message, "nested too deeply"));
}

TEST_CASE("json schema: copies share the compiled schema") {
    auto a = compiled(json::parse(R"({"type": "string"})"));
    slm::JsonSchema b = a;
    CHECK(b.where() == "test-schema");
    CHECK(b.validate(json(1)).size() == 1);
}
