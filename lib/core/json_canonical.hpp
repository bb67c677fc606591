// Canonical JSON text (the bytes that manifest ids hash) and a JSON parser
// that reports errors as slm::Error instead of throwing.
//
// canonical_json() follows RFC 8785 (JSON Canonicalization Scheme) with three
// stated exceptions, so the output is stable across platforms and releases:
//
//   - Objects: members sorted by their keys compared as UTF-16 code units
//     (RFC 8785 §3.2.3), no whitespace anywhere, ':' and ',' as separators.
//   - Strings: UTF-8 emitted as is. Escaped are exactly '"' -> \", '\' -> \\,
//     U+0008 \b, U+0009 \t, U+000A \n, U+000C \f, U+000D \r, and the other
//     controls below U+0020 as \u00xx (lowercase hex). '/' and non-ASCII are
//     never escaped.
//     Exception 1: bytes that are not valid UTF-8 are each replaced by U+FFFD.
//     parse_json() never produces such strings; only values built in code can.
//   - Integers (nlohmann number_integer / number_unsigned): exact decimal
//     digits, e.g. 18446744073709551615.
//     Exception 2: RFC 8785 would round integers beyond 2^53 through a double.
//   - Floating-point numbers: the shortest decimal that round-trips to the
//     same double, laid out like ECMAScript Number.prototype.toString
//     (RFC 8785 §3.2.2.3): 1.0 -> 1, -0.0 -> 0, 4.50 -> 4.5, 2e-3 -> 0.002,
//     1e21 -> 1e+21, 1e-7 -> 1e-7, 333333333.33333329 -> 333333333.3333333.
//     An integral double therefore prints like the equal integer, so two values
//     that compare equal as JSON numbers have the same canonical text.
//     Exception 3: NaN and infinities (which JSON cannot express, and RFC 8785
//     rejects) are written as null. parse_json() never produces them.
//
// Identity rule that follows: canonical_json(a) == canonical_json(b) exactly
// when a and b are equal JSON values (numbers compared by mathematical value,
// booleans distinct from numbers), for all values parse_json() can return.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace slm {

std::string canonical_json(const nlohmann::json& value);

// Formats one double the way canonical_json() does (exposed for tests).
std::string canonical_number(double value);

// Deepest nesting of arrays/objects parse_json() accepts. The validator and
// the canonical writer recurse once per level, so this bounds their stack use.
inline constexpr std::size_t k_max_json_depth = 512;

// Parses RFC 8259 JSON text. Stricter than nlohmann's default: duplicate
// object keys, nesting deeper than k_max_json_depth, numbers outside the
// double range and NUL bytes (where nlohmann would silently stop) are
// rejected. A leading UTF-8 byte order mark is skipped. Errors are ErrorCode::invalid_input, id
// "json.parse", with a message like
//   "manifest.json: invalid JSON at byte 41 (line 3, column 7): syntax error ..."
// or for a duplicate key
//   "manifest.json: invalid JSON: duplicate object key "name" at /runtime/name".
// `where` names the source (usually a path) in messages.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view where);

// Appends `token` to a JSON pointer with RFC 6901 escaping ('~' -> ~0, '/' -> ~1).
// The root pointer is the empty string: json_pointer_append("", "a/b") == "/a~1b".
std::string json_pointer_append(std::string_view pointer, std::string_view token);

}  // namespace slm
