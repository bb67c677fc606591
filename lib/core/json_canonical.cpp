#include "core/json_canonical.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace slm {
namespace {

using nlohmann::json;

constexpr char32_t k_replacement = 0xFFFD;

// Decodes one UTF-8 sequence at s[i]. On success stores the code point and
// its length; on malformed input (bad lead, truncated, overlong, surrogate,
// above U+10FFFF) returns false and the caller consumes one byte.
bool decode_utf8(std::string_view s, std::size_t i, char32_t& cp, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        len = 1;
        return true;
    }
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
    else return false;
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3F);
    }
    return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Key order of RFC 8785 §3.2.3: compare UTF-16 code units, not code points.
std::u16string to_utf16(std::string_view s) {
    std::u16string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp;
        std::size_t len;
        if (!decode_utf8(s, i, cp, len)) {
            cp = k_replacement;
            len = 1;
        }
        i += len;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out += static_cast<char16_t>(0xD800 + (cp >> 10));
            out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
        } else {
            out += static_cast<char16_t>(cp);
        }
    }
    return out;
}

void write_string(std::string& out, std::string_view s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp;
        std::size_t len;
        if (!decode_utf8(s, i, cp, len)) {
            append_utf8(out, k_replacement);
            i += 1;
            continue;
        }
        switch (cp) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (cp < 0x20) {
                    out += "\\u00";
                    out += k_hex[cp >> 4];
                    out += k_hex[cp & 0xF];
                } else {
                    out.append(s.substr(i, len));
                }
        }
        i += len;
    }
    out += '"';
}

void write_value(std::string& out, const json& v) {
    switch (v.type()) {
        case json::value_t::null:
        case json::value_t::discarded:
            out += "null";
            return;
        case json::value_t::boolean:
            out += v.get<bool>() ? "true" : "false";
            return;
        case json::value_t::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            return;
        case json::value_t::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            return;
        case json::value_t::number_float:
            out += canonical_number(v.get<double>());
            return;
        case json::value_t::string:
            write_string(out, v.get_ref<const std::string&>());
            return;
        case json::value_t::binary: {
            // Not JSON; written as an array of byte values so the output stays valid JSON.
            out += '[';
            bool first = true;
            for (std::uint8_t b : v.get_binary()) {
                if (!first) out += ',';
                first = false;
                out += std::to_string(b);
            }
            out += ']';
            return;
        }
        case json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v) {
                if (!first) out += ',';
                first = false;
                write_value(out, item);
            }
            out += ']';
            return;
        }
        case json::value_t::object: {
            std::vector<std::pair<std::u16string, json::const_iterator>> members;
            members.reserve(v.size());
            for (auto it = v.cbegin(); it != v.cend(); ++it) members.emplace_back(to_utf16(it.key()), it);
            std::sort(members.begin(), members.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            out += '{';
            bool first = true;
            for (const auto& [key16, it] : members) {
                if (!first) out += ',';
                first = false;
                write_string(out, it.key());
                out += ':';
                write_value(out, it.value());
            }
            out += '}';
            return;
        }
    }
}

// Raised inside the parser callback to abort parsing; never leaves this file.
struct ParseAbort {
    std::string message;
};

// Tracks where the parser is, as a JSON pointer, and the keys seen in every
// open object, so duplicate keys can be reported with their location.
class ParseTracker {
public:
    bool on_event(int depth, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                enter_element();
                if (static_cast<std::size_t>(depth) >= k_max_json_depth) {
                    throw ParseAbort{"nesting deeper than " + std::to_string(k_max_json_depth) +
                                     " levels at " + pointer(frames_.size())};
                }
                frames_.push_back(Frame{event == json::parse_event_t::object_start, {}, {}, 0});
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                frames_.pop_back();
                break;
            case json::parse_event_t::key: {
                Frame& f = frames_.back();
                const auto& key = parsed.get_ref<const std::string&>();
                if (!f.keys.insert(key).second) {
                    throw ParseAbort{"duplicate object key " + json(key).dump() + " at " +
                                     json_pointer_append(pointer(frames_.size() - 1), key)};
                }
                f.key = key;
                break;
            }
            case json::parse_event_t::value:
                enter_element();
                break;
        }
        return true;
    }

private:
    struct Frame {
        bool is_object;
        std::string key;
        std::set<std::string> keys;
        std::size_t next_index;
    };

    // An element of an enclosing array starts: it takes the next index.
    void enter_element() {
        if (!frames_.empty() && !frames_.back().is_object) {
            frames_.back().key = std::to_string(frames_.back().next_index++);
        }
    }

    // Pointer to the current position of the outermost `count` open containers.
    std::string pointer(std::size_t count) const {
        std::string p;
        for (std::size_t i = 0; i < count; ++i) p = json_pointer_append(p, frames_[i].key);
        return p;
    }

    std::vector<Frame> frames_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error ..."
// -> "syntax error ...".
std::string strip_nlohmann_prefix(const std::string& what) {
    std::string_view w = what;
    if (auto col = w.find("column "); col != std::string_view::npos) {
        if (auto colon = w.find(": ", col); colon != std::string_view::npos) return std::string(w.substr(colon + 2));
    }
    if (auto bracket = w.find("] "); bracket != std::string_view::npos) return std::string(w.substr(bracket + 2));
    return what;
}

}  // namespace

std::string canonical_number(double value) {
    if (!std::isfinite(value)) return "null";
    if (value == 0) return "0";  // also -0.0 (ECMAScript prints it as 0)
    std::string out;
    if (value < 0) {
        out += '-';
        value = -value;
    }
    // Shortest round-trip digits in scientific form, e.g. "3.333333333333333e+08".
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(end - buf));
    const auto e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos)) {
        if (c != '.') digits += c;
    }
    const int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
    const int k = static_cast<int>(digits.size());
    const int n = exp10 + 1;  // position of the decimal point relative to the digits
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out += digits.substr(0, static_cast<std::size_t>(n));
        out += '.';
        out += digits.substr(static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out += digits.substr(1);
        }
        out += 'e';
        out += n - 1 >= 0 ? '+' : '-';
        out += std::to_string(std::abs(n - 1));
    }
    return out;
}

std::string canonical_json(const nlohmann::json& value) {
    std::string out;
    write_value(out, value);
    return out;
}

std::string json_pointer_append(std::string_view pointer, std::string_view token) {
    std::string out(pointer);
    out += '/';
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view where) {
    const std::string prefix = std::string(where) + ": invalid JSON";
    // nlohmann stops at a NUL byte as if the text ended there; JSON never allows one unescaped.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        const auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
        const auto line_start = text.rfind('\n', nul);
        const std::size_t column = line_start == std::string_view::npos ? nul + 1 : nul - line_start;
        return make_error(ErrorCode::invalid_input, "json.parse",
                          prefix + " at byte " + std::to_string(nul) + " (line " + std::to_string(line) +
                              ", column " + std::to_string(column) + "): unexpected NUL byte");
    }
    ParseTracker tracker;
    try {
        json::parser_callback_t cb = [&tracker](int depth, json::parse_event_t event, json& parsed) {
            return tracker.on_event(depth, event, parsed);
        };
        return json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true);
    } catch (const ParseAbort& a) {
        return make_error(ErrorCode::invalid_input, "json.parse", prefix + ": " + a.message);
    } catch (const json::parse_error& e) {
        // e.byte counts the characters read, so the offending one is at e.byte - 1.
        const std::size_t offset = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < offset; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return make_error(ErrorCode::invalid_input, "json.parse",
                          prefix + " at byte " + std::to_string(offset) + " (line " + std::to_string(line) +
                              ", column " + std::to_string(column) + "): " + strip_nlohmann_prefix(e.what()));
    } catch (const json::exception& e) {
        // Number overflow (out_of_range.406) and similar; nlohmann gives no position.
        return make_error(ErrorCode::invalid_input, "json.parse", prefix + ": " + strip_nlohmann_prefix(e.what()));
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::internal, "json.parse", prefix + ": out of memory");
    }
}

}  // namespace slm
