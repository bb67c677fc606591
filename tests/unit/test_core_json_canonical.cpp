#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "core/json_canonical.hpp"

using nlohmann::json;

namespace {

double from_bits(std::uint64_t bits) {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

json parsed(std::string_view text) {
    auto r = slm::parse_json(text, "test.json");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return *r;
}

}  // namespace

TEST_CASE("json canonical: RFC 8785 section 3.2.2 example") {
    const char* input = R"({
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    })";
    CHECK(slm::canonical_json(parsed(input)) ==
          "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
          "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

TEST_CASE("json canonical: keys sort by UTF-16 code units (RFC 8785 section 3.2.3)") {
    const char* input = R"({
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    })";
    // Code point (and UTF-8 byte) order would put U+FB33 before U+1F600.
    CHECK(slm::canonical_json(parsed(input)) ==
          "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
          "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
          "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST_CASE("json canonical: RFC 8785 appendix B number vectors") {
    const std::pair<std::uint64_t, const char*> vectors[] = {
        {0x0000000000000000, "0"},
        {0x8000000000000000, "0"},
        {0x0000000000000001, "5e-324"},
        {0x8000000000000001, "-5e-324"},
        {0x7fefffffffffffff, "1.7976931348623157e+308"},
        {0xffefffffffffffff, "-1.7976931348623157e+308"},
        {0x4340000000000000, "9007199254740992"},
        {0xc340000000000000, "-9007199254740992"},
        {0x4430000000000000, "295147905179352830000"},
        {0x44b52d02c7e14af5, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6, "1e+23"},
        {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4e, "999999999999999700000"},
        {0x444b1ae4d6e2ef4f, "999999999999999900000"},
        {0x444b1ae4d6e2ef50, "1e+21"},
        {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8d, "0.000001"},
        {0x41b3de4355555553, "333333333.3333332"},
        {0x41b3de4355555554, "333333333.33333325"},
        {0x41b3de4355555555, "333333333.3333333"},
        {0x41b3de4355555556, "333333333.3333334"},
        {0x41b3de4355555557, "333333333.33333343"},
        {0xbecbf647612f3696, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959, "1424953923781206.2"},
    };
    for (const auto& [bits, text] : vectors) {
        CAPTURE(text);
        CHECK(slm::canonical_number(from_bits(bits)) == text);
    }
}

TEST_CASE("json canonical: integers stay exact, integral doubles print like integers") {
    CHECK(slm::canonical_json(json(std::uint64_t{18446744073709551615u})) == "18446744073709551615");
    CHECK(slm::canonical_json(json(std::int64_t{-9223372036854775807 - 1})) == "-9223372036854775808");
    CHECK(slm::canonical_json(json(1.0)) == "1");
    CHECK(slm::canonical_json(json(-0.0)) == "0");
    CHECK(slm::canonical_json(json(1e21)) == "1e+21");
    CHECK(slm::canonical_json(json(1e20)) == "100000000000000000000");
    CHECK(slm::canonical_json(json(1e-7)) == "1e-7");
    CHECK(slm::canonical_json(json(0.1)) == "0.1");
    // Equal values, different representations, same canonical text.
    CHECK(slm::canonical_json(parsed("[1.0, 10E-1, 1]")) == "[1,1,1]");
}

TEST_CASE("json canonical: non-finite numbers become null") {
    CHECK(slm::canonical_json(json(std::numeric_limits<double>::infinity())) == "null");
    CHECK(slm::canonical_json(json(std::nan(""))) == "null");
}

TEST_CASE("json canonical: whitespace, nesting and escapes") {
    CHECK(slm::canonical_json(parsed(R"( { "b" : [ 1 , { "z" : null , "a" : "x" } ] , "a" : { } , "c" : [ ] } )")) ==
          R"({"a":{},"b":[1,{"a":"x","z":null}],"c":[]})");
    CHECK(slm::canonical_json(json("tab\there\x01\x1f/\x7f")) == "\"tab\\there\\u0001\\u001f/\x7f\"");
    CHECK(slm::canonical_json(json("\b\f\n\r\"\\")) == R"("\b\f\n\r\"\\")");
    CHECK(slm::canonical_json(json(nullptr)) == "null");
}

TEST_CASE("json canonical: invalid UTF-8 in built values becomes U+FFFD") {
    CHECK(slm::canonical_json(json(std::string("a\xff" "b"))) == "\"a\xEF\xBF\xBD" "b\"");
    CHECK(slm::canonical_json(json(std::string("\xC0\xAF"))) == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
    CHECK(slm::canonical_json(json(std::string("\xED\xA0\x80"))) ==  // encoded surrogate
          "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("json canonical: output parses back to an equal value") {
    const json v = parsed(R"({"n":[-1,2.5,1e300,18446744073709551615],"s":"\u00e9\ud83d\ude00","o":{"k":[true,false]}})");
    const std::string text = slm::canonical_json(v);
    CHECK(parsed(text) == v);
    CHECK(slm::canonical_json(parsed(text)) == text);
}

TEST_CASE("json parse: syntax errors carry byte offset, line and column") {
    auto r = slm::parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}", "cfg.json");
    REQUIRE(!r.ok());
    CHECK(r.error().code == slm::ErrorCode::invalid_input);
    CHECK(r.error().id == "json.parse");
    CHECK(r.error().message.rfind("cfg.json: invalid JSON at byte ", 0) == 0);
    CHECK(r.error().message.find("(line 3, column") != std::string::npos);
    CHECK(r.error().message.find("[json.exception") == std::string::npos);

    auto trailing = slm::parse_json("[1,]", "x.json");
    REQUIRE(!trailing.ok());
    CHECK(trailing.error().message.find("at byte 3 (line 1, column 4)") != std::string::npos);

    auto empty = slm::parse_json("", "empty.json");
    REQUIRE(!empty.ok());
    CHECK(empty.error().message.find("empty.json: invalid JSON at byte 0") == 0);

    CHECK(!slm::parse_json("{} {}", "two.json").ok());
    auto nul = slm::parse_json(std::string_view("{}\n \0 junk", 10), "nul.json");
    REQUIRE(!nul.ok());
    CHECK(nul.error().message == "nul.json: invalid JSON at byte 4 (line 2, column 2): unexpected NUL byte");
    CHECK(slm::parse_json("\xEF\xBB\xBF{\"bom\": 1}", "bom.json").ok());
    CHECK(!slm::parse_json("\"\xff\"", "utf8.json").ok());
}

TEST_CASE("json parse: duplicate keys are rejected with their pointer") {
    auto r = slm::parse_json(R"({"a": [0, {"x": 1, "y~/": 2, "y~/": 3}]})", "dup.json");
    REQUIRE(!r.ok());
    CHECK(r.error().message == R"(dup.json: invalid JSON: duplicate object key "y~/" at /a/1/y~0~1)");

    auto top = slm::parse_json(R"({"k": 1, "k": 1})", "dup.json");
    REQUIRE(!top.ok());
    CHECK(top.error().message.find("duplicate object key \"k\" at /k") != std::string::npos);

    // The same key in sibling objects is fine.
    CHECK(slm::parse_json(R"([{"k": 1}, {"k": 2}, {"o": {"k": 3}, "k": 4}])", "ok.json").ok());
}

TEST_CASE("json parse: depth limit and number range") {
    std::string deep(slm::k_max_json_depth, '[');
    deep += std::string(slm::k_max_json_depth, ']');
    CHECK(slm::parse_json(deep, "deep.json").ok());
    std::string deeper = "[" + deep + "]";
    auto r = slm::parse_json(deeper, "deep.json");
    REQUIRE(!r.ok());
    CHECK(r.error().message.find("nesting deeper than") != std::string::npos);

    auto big = slm::parse_json("{\"x\": 1e400}", "big.json");
    REQUIRE(!big.ok());
    CHECK(big.error().message.find("big.json: invalid JSON") == 0);
    CHECK(big.error().message.find("1e400") != std::string::npos);

    auto ok = slm::parse_json("[18446744073709551615, -9223372036854775808, 1e308]", "n.json");
    REQUIRE(ok.ok());
    CHECK((*ok)[0].is_number_unsigned());
    CHECK((*ok)[1].is_number_integer());
}

TEST_CASE("json pointer: RFC 6901 escaping") {
    CHECK(slm::json_pointer_append("", "a") == "/a");
    CHECK(slm::json_pointer_append("/a", "b/c~d") == "/a/b~1c~0d");
    CHECK(slm::json_pointer_append("", "") == "/");
}
