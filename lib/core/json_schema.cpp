#include "core/json_schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "core/json_canonical.hpp"

namespace slm {

using nlohmann::json;

namespace {

enum TypeBit : unsigned {
    k_null = 1u << 0,
    k_boolean = 1u << 1,
    k_object = 1u << 2,
    k_array = 1u << 3,
    k_number = 1u << 4,
    k_string = 1u << 5,
    k_integer = 1u << 6,
};

constexpr std::pair<const char*, unsigned> k_type_names[] = {
    {"null", k_null},     {"boolean", k_boolean}, {"object", k_object},   {"array", k_array},
    {"number", k_number}, {"string", k_string},   {"integer", k_integer},
};

constexpr const char* k_unsupported_keywords[] = {
    "prefixItems", "contains", "minContains", "maxContains", "additionalItems",
    "unevaluatedItems", "unevaluatedProperties", "patternProperties", "propertyNames",
    "dependentRequired", "dependentSchemas", "dependencies", "if", "then", "else",
    "multipleOf", "$dynamicRef", "$recursiveRef", "$recursiveAnchor",
};

// Keywords compile() enforces. Anything else that is not in the list above is an
// annotation ($id, title, format, ...) or not a JSON Schema keyword: ignored.
constexpr const char* k_supported_keywords[] = {
    "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems", "uniqueItems",
    "properties", "required", "additionalProperties", "minProperties", "maxProperties",
    "allOf", "anyOf", "oneOf", "not", "$ref",
};

template <std::size_t N>
bool listed(const char* const (&list)[N], std::string_view key) {
    for (const char* k : list) {
        if (key == k) return true;
    }
    return false;
}

// Exact comparison of two JSON numbers of any representation: -1, 0 or 1.
int compare_numbers(const json& a, const json& b) {
    using T = json::value_t;
    if (a.type() != T::number_float && b.type() != T::number_float) {
        const bool a_neg = a.type() == T::number_integer && a.get<std::int64_t>() < 0;
        const bool b_neg = b.type() == T::number_integer && b.get<std::int64_t>() < 0;
        if (a_neg != b_neg) return a_neg ? -1 : 1;
        if (a_neg) {
            const auto x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        const auto x = a.get<std::uint64_t>(), y = b.get<std::uint64_t>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    // long double holds every int64/uint64 and double exactly on x86-64 and wasm.
    auto as_ld = [](const json& v) -> long double {
        if (v.type() == T::number_float) return v.get<double>();
        if (v.type() == T::number_unsigned) return static_cast<long double>(v.get<std::uint64_t>());
        return static_cast<long double>(v.get<std::int64_t>());
    };
    const long double x = as_ld(a), y = as_ld(b);
    return x < y ? -1 : (x > y ? 1 : 0);
}

bool is_integral(const json& v) {
    if (v.is_number_integer()) return true;  // signed and unsigned
    if (!v.is_number_float()) return false;
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

std::uint64_t code_points(const std::string& s) {
    std::uint64_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::string shorten(std::string s, std::size_t limit = 40) {
    if (s.size() > limit) {
        s.resize(limit);
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole code points
        if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
        s += "...";
    }
    return s;
}

// "string \"abc\"", "integer -3", "object", "array of 2 items", ...
std::string describe(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "integer " + canonical_json(v);
        case json::value_t::number_float: return "number " + canonical_json(v);
        case json::value_t::string: return "string " + shorten(canonical_json(v));
        case json::value_t::array: return "array of " + std::to_string(v.size()) + " items";
        case json::value_t::object: return "object with " + std::to_string(v.size()) + " properties";
        default: return "non-JSON value";
    }
}

std::string type_list(unsigned mask) {
    std::string out;
    for (const auto& [name, bit] : k_type_names) {
        if (!(mask & bit)) continue;
        if (!out.empty()) out += " or ";
        out += name;
    }
    return out;
}

std::string quote_json(std::string_view s) { return json(std::string(s)).dump(); }

}  // namespace

// ---------------------------------------------------------------------------
// SchemaPattern: an ECMAScript-subset regular expression compiled to a
// Thompson NFA and run as a Pike-style simulation. Neither parsing of the
// subject nor matching recurses, and time is O(subject x program), so
// documents cannot exhaust the stack or trigger catastrophic backtracking.
// ---------------------------------------------------------------------------

namespace {

constexpr char32_t k_max_code_point = 0x10FFFF;
constexpr std::size_t k_max_pattern_program = 20000;  // NFA instructions after expanding {n,m}
constexpr int k_max_group_depth = 64;
constexpr int k_max_repeat_count = 1000;

// Decodes the code point at s[i]; malformed UTF-8 reads as U+FFFD of length 1.
char32_t next_code_point(std::string_view s, std::size_t i, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    len = 1;
    if (b0 < 0x80) return b0;
    std::size_t n;
    char32_t cp, min;
    if ((b0 & 0xE0) == 0xC0) { n = 2; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { n = 3; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { n = 4; cp = b0 & 0x07; min = 0x10000; }
    else return 0xFFFD;
    if (s.size() - i < n) return 0xFFFD;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > k_max_code_point || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    len = n;
    return cp;
}

bool is_word_char(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct RegexError {
    std::string message;
};

}  // namespace

struct SchemaPattern::Program {
    struct Range {
        char32_t lo, hi;
    };
    struct Set {
        std::vector<Range> ranges;
        bool negated = false;
        bool contains(char32_t c) const {
            bool in = false;
            for (const auto& r : ranges) in = in || (c >= r.lo && c <= r.hi);
            return in != negated;
        }
    };
    enum class Op : std::uint8_t { set, split, jump, match, line_begin, line_end, word_boundary, not_word_boundary };
    struct Inst {
        Op op;
        int x = 0;  // set: index into sets; split / jump: target
        int y = 0;  // split: second target
    };
    std::vector<Inst> code;
    std::vector<Set> sets;
};

namespace {

using Program = SchemaPattern::Program;

// Parsed form: compiled to Program::Inst once the whole pattern is known.
struct RegexNode {
    enum Kind { empty, set, concat, alternation, repeat, line_begin, line_end, word_boundary, not_word_boundary };
    Kind kind = empty;
    int set_index = -1;
    std::vector<RegexNode> kids;
    int min = 0, max = -1;  // repeat bounds; max -1 is unbounded
};

class RegexParser {
public:
    RegexParser(std::string_view pattern, Program& program) : p_(pattern), prog_(program) {}

    RegexNode parse() {
        RegexNode n = disjunction();
        if (!at_end()) fail("unmatched ')'");
        return n;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw RegexError{what + " at offset " + std::to_string(i_)};
    }
    bool at_end() const { return i_ >= p_.size(); }
    char peek(std::size_t ahead = 0) const { return i_ + ahead < p_.size() ? p_[i_ + ahead] : '\0'; }
    char32_t take_code_point() {
        std::size_t len;
        const char32_t c = next_code_point(p_, i_, len);
        i_ += len;
        return c;
    }

    int add_set(std::vector<Program::Range> ranges, bool negated = false) {
        prog_.sets.push_back(Program::Set{std::move(ranges), negated});
        return static_cast<int>(prog_.sets.size()) - 1;
    }
    RegexNode set_node(std::vector<Program::Range> ranges, bool negated = false) {
        RegexNode n;
        n.kind = RegexNode::set;
        n.set_index = add_set(std::move(ranges), negated);
        return n;
    }

    static std::vector<Program::Range> class_ranges(char letter) {
        switch (letter) {
            case 'd': return {{'0', '9'}};
            case 'w': return {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
            default:  // 's': ECMAScript WhiteSpace and LineTerminator
                return {{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
                        {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
        }
    }
    static std::vector<Program::Range> complement(std::vector<Program::Range> r) {
        std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
        std::vector<Program::Range> out;
        char32_t next = 0;
        for (const auto& x : r) {
            if (x.lo > next) out.push_back({next, x.lo - 1});
            if (x.hi + 1 > next) next = x.hi + 1;
        }
        if (next <= k_max_code_point) out.push_back({next, k_max_code_point});
        return out;
    }

    unsigned hex_digits(int count) {
        unsigned v = 0;
        for (int k = 0; k < count; ++k) {
            const char c = peek();
            if (!std::isxdigit(static_cast<unsigned char>(c))) fail("expected " + std::to_string(count) + " hex digits");
            v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
            ++i_;
        }
        return v;
    }

    // After a backslash: a single character escape, shared by atoms and classes.
    // Class escapes (\d \w \s and negations) are handled by the callers.
    char32_t character_escape() {
        const char c = peek();
        ++i_;
        switch (c) {
            case 't': return 0x09;
            case 'n': return 0x0A;
            case 'v': return 0x0B;
            case 'f': return 0x0C;
            case 'r': return 0x0D;
            case '0':
                if (std::isdigit(static_cast<unsigned char>(peek()))) fail("octal escapes are not supported");
                return 0;
            case 'x': return hex_digits(2);
            case 'u': {
                char32_t u = hex_digits(4);
                // A surrogate pair written as two \u escapes is one code point.
                if (u >= 0xD800 && u <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
                    const std::size_t save = i_;
                    i_ += 2;
                    const char32_t low = hex_digits(4);
                    if (low >= 0xDC00 && low <= 0xDFFF) return 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                    i_ = save;
                }
                return u;
            }
            case 'c':
                if (std::isalpha(static_cast<unsigned char>(peek()))) return static_cast<char32_t>(p_[i_++] % 32);
                fail("\\c must be followed by a letter");
            default: break;
        }
        if (c >= '1' && c <= '9') fail("backreferences are not supported");
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '\0') {
            --i_;
            fail(std::string("unknown escape \\") + (c ? std::string(1, c) : std::string("(end)")));
        }
        --i_;
        return take_code_point();  // escaped punctuation or any non-ASCII character stands for itself
    }

    RegexNode disjunction() {
        RegexNode first = alternative();
        if (peek() != '|' || at_end()) return first;
        RegexNode alt;
        alt.kind = RegexNode::alternation;
        alt.kids.push_back(std::move(first));
        while (!at_end() && peek() == '|') {
            ++i_;
            alt.kids.push_back(alternative());
        }
        return alt;
    }

    RegexNode alternative() {
        RegexNode seq;
        seq.kind = RegexNode::concat;
        while (!at_end() && peek() != '|' && peek() != ')') seq.kids.push_back(term());
        return seq;
    }

    // {n}, {n,} or {n,m} at i_; false (i_ unchanged) when the text is not a quantifier.
    bool braces(int& min, int& max) {
        std::size_t j = i_ + 1;
        auto number = [&](int& out) {
            const std::size_t start = j;
            long long v = 0;
            while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j]))) {
                v = std::min<long long>(v * 10 + (p_[j] - '0'), 1'000'000);
                ++j;
            }
            out = static_cast<int>(v);
            return j > start;
        };
        if (!number(min)) return false;
        max = min;
        if (j < p_.size() && p_[j] == ',') {
            ++j;
            if (!number(max)) max = -1;
        }
        if (j >= p_.size() || p_[j] != '}') return false;
        i_ = j + 1;
        return true;
    }

    RegexNode term() {
        const char c = peek();
        if (c == '^' || c == '$') {
            ++i_;
            RegexNode n;
            n.kind = c == '^' ? RegexNode::line_begin : RegexNode::line_end;
            return n;
        }
        if (c == '\\' && (peek(1) == 'b' || peek(1) == 'B')) {
            RegexNode n;
            n.kind = peek(1) == 'b' ? RegexNode::word_boundary : RegexNode::not_word_boundary;
            i_ += 2;
            return n;
        }
        RegexNode a = atom();
        int min = 0, max = -1;
        const char q = peek();
        if (at_end()) return a;
        if (q == '*') { ++i_; min = 0; max = -1; }
        else if (q == '+') { ++i_; min = 1; max = -1; }
        else if (q == '?') { ++i_; min = 0; max = 1; }
        else if (q == '{' && braces(min, max)) {
            if (max >= 0 && min > max) fail("numbers out of order in {} quantifier");
        } else {
            return a;
        }
        if (min > k_max_repeat_count || max > k_max_repeat_count) {
            fail("repetition count above " + std::to_string(k_max_repeat_count));
        }
        if (peek() == '?' && !at_end()) ++i_;  // lazy: the same set of matches
        const char after = peek();
        if (!at_end() && (after == '*' || after == '+' || after == '?')) fail("nothing to repeat");
        RegexNode r;
        r.kind = RegexNode::repeat;
        r.min = min;
        r.max = max;
        r.kids.push_back(std::move(a));
        return r;
    }

    RegexNode atom() {
        const char c = peek();
        switch (c) {
            case '(': {
                if (++depth_ > k_max_group_depth) fail("groups nested too deeply");
                ++i_;
                if (peek() == '?') {
                    if (peek(1) == ':') {
                        i_ += 2;
                    } else if (peek(1) == '<' && peek(2) != '=' && peek(2) != '!') {
                        const std::size_t close = p_.find('>', i_);
                        if (close == std::string_view::npos) fail("unterminated group name");
                        i_ = close + 1;
                    } else {
                        fail("lookahead, lookbehind and other (? groups are not supported");
                    }
                }
                RegexNode inner = disjunction();
                if (peek() != ')' || at_end()) fail("missing ')'");
                ++i_;
                --depth_;
                return inner;
            }
            case '*': case '+': case '?': fail("nothing to repeat");
            case '{': {
                int min, max;
                const std::size_t save = i_;
                if (braces(min, max)) {
                    i_ = save;
                    fail("nothing to repeat");
                }
                ++i_;
                return set_node({{'{', '{'}});
            }
            case '.':
                ++i_;
                return set_node({{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}}, /*negated=*/true);
            case '[': return character_class();
            case '\\': {
                ++i_;
                if (at_end()) fail("\\ at end of pattern");
                const char e = peek();
                if (e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S') {
                    ++i_;
                    return set_node(class_ranges(static_cast<char>(e | 0x20)), std::isupper(static_cast<unsigned char>(e)));
                }
                const char32_t ch = character_escape();
                return set_node({{ch, ch}});
            }
            default: {
                const char32_t ch = take_code_point();
                return set_node({{ch, ch}});
            }
        }
    }

    RegexNode character_class() {
        ++i_;  // '['
        bool negated = false;
        if (peek() == '^') {
            negated = true;
            ++i_;
        }
        std::vector<Program::Range> ranges;
        // One class atom: a single character, or (for \d \w \s ...) a set of ranges.
        auto class_atom = [&](std::vector<Program::Range>& set) -> std::optional<char32_t> {
            if (peek() != '\\') return take_code_point();
            ++i_;
            const char e = peek();
            if (at_end()) fail("\\ at end of pattern");
            if (e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S') {
                ++i_;
                set = class_ranges(static_cast<char>(e | 0x20));
                if (std::isupper(static_cast<unsigned char>(e))) set = complement(std::move(set));
                return std::nullopt;
            }
            if (e == 'b') {
                ++i_;
                return 0x08;
            }
            if (e == '-') {
                ++i_;
                return '-';
            }
            return character_escape();
        };
        while (true) {
            if (at_end()) fail("unterminated character class");
            if (peek() == ']') {
                ++i_;
                break;
            }
            std::vector<Program::Range> set1;
            const auto lo = class_atom(set1);
            if (lo && peek() == '-' && peek(1) != ']' && i_ + 1 < p_.size()) {
                ++i_;
                std::vector<Program::Range> set2;
                const auto hi = class_atom(set2);
                if (hi) {
                    if (*hi < *lo) fail("range out of order in character class");
                    ranges.push_back({*lo, *hi});
                } else {  // [a-\d]: '-' is literal
                    ranges.push_back({*lo, *lo});
                    ranges.push_back({'-', '-'});
                    ranges.insert(ranges.end(), set2.begin(), set2.end());
                }
            } else if (lo) {
                ranges.push_back({*lo, *lo});
            } else {
                ranges.insert(ranges.end(), set1.begin(), set1.end());
            }
        }
        return set_node(std::move(ranges), negated);
    }

    std::string_view p_;
    Program& prog_;
    std::size_t i_ = 0;
    int depth_ = 0;
};

class RegexEmitter {
public:
    explicit RegexEmitter(Program& program) : prog_(program) {}

    void emit(const RegexNode& n) {
        using Op = Program::Op;
        switch (n.kind) {
            case RegexNode::empty: return;
            case RegexNode::set: push(Op::set, n.set_index); return;
            case RegexNode::concat:
                for (const auto& k : n.kids) emit(k);
                return;
            case RegexNode::alternation: {
                std::vector<std::size_t> exits;
                for (std::size_t k = 0; k < n.kids.size(); ++k) {
                    if (k + 1 == n.kids.size()) {
                        emit(n.kids[k]);
                        break;
                    }
                    const std::size_t split = push(Op::split, here() + 1);
                    emit(n.kids[k]);
                    exits.push_back(push(Op::jump));
                    prog_.code[split].y = here();
                }
                for (auto e : exits) prog_.code[e].x = here();
                return;
            }
            case RegexNode::repeat: {
                const RegexNode& body = n.kids[0];
                for (int k = 0; k < n.min; ++k) emit(body);
                if (n.max < 0) {
                    const int loop = here();
                    const std::size_t split = push(Op::split, loop + 1);
                    emit(body);
                    push(Op::jump, loop);
                    prog_.code[split].y = here();
                } else {
                    std::vector<std::size_t> splits;
                    for (int k = n.min; k < n.max; ++k) {
                        splits.push_back(push(Op::split, here() + 1));
                        emit(body);
                    }
                    for (auto s : splits) prog_.code[s].y = here();
                }
                return;
            }
            case RegexNode::line_begin: push(Op::line_begin); return;
            case RegexNode::line_end: push(Op::line_end); return;
            case RegexNode::word_boundary: push(Op::word_boundary); return;
            case RegexNode::not_word_boundary: push(Op::not_word_boundary); return;
        }
    }

    std::size_t push(Program::Op op, int x = 0) {
        if (prog_.code.size() >= k_max_pattern_program) {
            throw RegexError{"pattern expands to more than " + std::to_string(k_max_pattern_program) +
                             " instructions (reduce {n,m} counts)"};
        }
        prog_.code.push_back({op, x, 0});
        return prog_.code.size() - 1;
    }

private:
    int here() const { return static_cast<int>(prog_.code.size()); }
    Program& prog_;
};

}  // namespace

Result<SchemaPattern> SchemaPattern::compile(std::string_view pattern) {
    auto program = std::make_shared<Program>();
    try {
        RegexParser parser(pattern, *program);
        const RegexNode root = parser.parse();
        RegexEmitter emitter(*program);
        emitter.emit(root);
        emitter.push(Program::Op::match);
    } catch (const RegexError& e) {
        return make_error(ErrorCode::invalid_input, "json_schema.pattern",
                          "invalid or unsupported regular expression " + json(std::string(pattern)).dump() + ": " +
                              e.message);
    }
    SchemaPattern out;
    out.source_ = std::string(pattern);
    out.program_ = std::move(program);
    return out;
}

bool SchemaPattern::search(std::string_view subject) const {
    using Op = Program::Op;
    const Program& prog = *program_;
    struct Context {
        bool at_begin, at_end, word_before, word_after;
    };
    std::vector<std::uint32_t> mark(prog.code.size(), 0);
    std::uint32_t generation = 1;
    std::vector<int> current, next, stack;

    // Adds pc and everything reachable from it without consuming input; true on reaching match.
    auto add = [&](std::vector<int>& list, int pc0, const Context& ctx) {
        stack.assign(1, pc0);
        while (!stack.empty()) {
            const int pc = stack.back();
            stack.pop_back();
            auto& m = mark[static_cast<std::size_t>(pc)];
            if (m == generation) continue;
            m = generation;
            const auto& inst = prog.code[static_cast<std::size_t>(pc)];
            switch (inst.op) {
                case Op::match: return true;
                case Op::set: list.push_back(pc); break;
                case Op::jump: stack.push_back(inst.x); break;
                case Op::split:
                    stack.push_back(inst.y);
                    stack.push_back(inst.x);
                    break;
                case Op::line_begin:
                    if (ctx.at_begin) stack.push_back(pc + 1);
                    break;
                case Op::line_end:
                    if (ctx.at_end) stack.push_back(pc + 1);
                    break;
                case Op::word_boundary:
                    if (ctx.word_before != ctx.word_after) stack.push_back(pc + 1);
                    break;
                case Op::not_word_boundary:
                    if (ctx.word_before == ctx.word_after) stack.push_back(pc + 1);
                    break;
            }
        }
        return false;
    };

    std::size_t pos = 0, len = 0;
    char32_t cur = subject.empty() ? 0 : next_code_point(subject, 0, len);
    Context ctx{true, subject.empty(), false, !subject.empty() && is_word_char(cur)};
    while (true) {
        if (add(current, 0, ctx)) return true;  // a match may start at every position
        if (pos >= subject.size()) return false;
        const std::size_t next_pos = pos + len;
        std::size_t next_len = 0;
        const bool next_end = next_pos >= subject.size();
        const char32_t next_cp = next_end ? 0 : next_code_point(subject, next_pos, next_len);
        const Context next_ctx{false, next_end, is_word_char(cur), !next_end && is_word_char(next_cp)};
        ++generation;
        next.clear();
        for (int pc : current) {
            const auto& inst = prog.code[static_cast<std::size_t>(pc)];
            if (prog.sets[static_cast<std::size_t>(inst.x)].contains(cur) && add(next, pc + 1, next_ctx)) return true;
        }
        std::swap(current, next);
        pos = next_pos;
        len = next_len;
        cur = next_cp;
        ctx = next_ctx;
    }
}

struct JsonSchema::Compiled {
    struct Node {
        std::string pointer;  // where this schema sits in the schema document
        std::optional<bool> boolean;  // set for the schemas `true` and `false`
        unsigned types = 0;           // 0 when there is no "type"
        std::vector<std::string> enum_values;  // canonical text of each value
        bool has_enum = false;
        std::optional<std::string> const_value;  // canonical text
        std::optional<SchemaPattern> pattern;
        std::optional<std::uint64_t> min_length, max_length, min_items, max_items, min_props, max_props;
        std::optional<json> minimum, maximum, exclusive_minimum, exclusive_maximum;
        int items = -1;
        bool unique_items = false;
        std::map<std::string, int, std::less<>> properties;
        std::vector<std::string> required;
        int additional = -1;
        std::vector<int> all_of, any_of, one_of;
        int not_schema = -1;
        int ref = -1;
        std::string ref_text;
    };
    std::string where;
    std::vector<Node> nodes;  // nodes[0] is the root
};

namespace {

using Compiled = JsonSchema::Compiled;
using Node = Compiled::Node;

constexpr int k_max_validation_depth = 2000;

std::string show_pointer(const std::string& p) { return p.empty() ? "(root)" : p; }

class Compiler {
public:
    Compiler(const json& root, std::string where) : root_(root) { out_.where = std::move(where); }

    Result<Compiled> run() {
        auto root = compile(root_, "");
        if (!root) return root.take_error();
        // Resolving a $ref may compile more schemas, which may add more refs.
        while (!pending_refs_.empty()) {
            auto [node, target] = pending_refs_.back();
            pending_refs_.pop_back();
            auto resolved = resolve_ref(out_.nodes[static_cast<std::size_t>(node)].pointer, target);
            if (!resolved) return resolved.take_error();
            out_.nodes[static_cast<std::size_t>(node)].ref = *resolved;
        }
        SLM_TRY(check_ref_cycles());
        return std::move(out_);
    }

private:
    Error fail(const std::string& pointer, const std::string& problem) const {
        return make_error(ErrorCode::invalid_input, "json_schema.invalid",
                          out_.where + ": schema at " + show_pointer(pointer) + ": " + problem);
    }
    Error bad_value(const std::string& pointer, std::string_view keyword, std::string_view expected,
                    const json& found) const {
        return fail(pointer, "keyword " + quote_json(keyword) + " expects " + std::string(expected) + ", found " +
                                 describe(found));
    }

    Result<std::uint64_t> count_value(const std::string& ptr, std::string_view keyword, const json& v) {
        if (!is_integral(v) || compare_numbers(v, json(0)) < 0) {
            return bad_value(ptr, keyword, "a non-negative integer", v);
        }
        if (v.is_number_float()) {
            const double d = v.get<double>();
            return d >= 18446744073709551615.0 ? UINT64_MAX : static_cast<std::uint64_t>(d);
        }
        return v.get<std::uint64_t>();
    }

    Result<std::vector<int>> schema_list(const std::string& ptr, std::string_view keyword, const json& v) {
        if (!v.is_array() || v.empty()) return bad_value(ptr, keyword, "a non-empty array of schemas", v);
        std::vector<int> out;
        const std::string base = json_pointer_append(ptr, keyword);
        for (std::size_t i = 0; i < v.size(); ++i) {
            auto sub = compile(v[i], json_pointer_append(base, std::to_string(i)));
            if (!sub) return sub.take_error();
            out.push_back(*sub);
        }
        return out;
    }

    Result<int> compile(const json& s, const std::string& ptr) {
        if (auto it = by_pointer_.find(ptr); it != by_pointer_.end()) return it->second;
        if (!s.is_boolean() && !s.is_object()) {
            return fail(ptr, "a schema must be an object or a boolean, found " + describe(s));
        }
        const int index = static_cast<int>(out_.nodes.size());
        out_.nodes.emplace_back();
        out_.nodes.back().pointer = ptr;
        by_pointer_.emplace(ptr, index);
        if (s.is_boolean()) {
            out_.nodes.back().boolean = s.get<bool>();
            return index;
        }
        // Build into a local node: compiling subschemas grows out_.nodes.
        Node n;
        n.pointer = ptr;
        for (auto it = s.begin(); it != s.end(); ++it) {
            const std::string& key = it.key();
            const json& v = it.value();
            const std::string kptr = json_pointer_append(ptr, key);
            if (listed(k_unsupported_keywords, key)) {
                return fail(ptr, "keyword " + quote_json(key) + " is not supported by this validator");
            }
            if (key == "$defs") {
                if (!v.is_object()) return bad_value(ptr, key, "an object of schemas", v);
                // Compiled now so that mistakes in unused definitions are still reported.
                for (auto d = v.begin(); d != v.end(); ++d) {
                    auto sub = compile(d.value(), json_pointer_append(kptr, d.key()));
                    if (!sub) return sub.take_error();
                }
                continue;
            }
            if (!listed(k_supported_keywords, key)) continue;

            if (key == "type") {
                auto add = [&](const json& name) -> bool {
                    if (!name.is_string()) return false;
                    for (const auto& [tname, bit] : k_type_names) {
                        if (name.get_ref<const std::string&>() == tname && !(n.types & bit)) {
                            n.types |= bit;
                            return true;
                        }
                    }
                    return false;
                };
                constexpr const char* expected = "a type name or a non-empty array of distinct type names "
                                                 "(null, boolean, object, array, number, string, integer)";
                if (v.is_array()) {
                    if (v.empty()) return bad_value(ptr, key, expected, v);
                    for (const auto& t : v) {
                        if (!add(t)) return bad_value(ptr, key, expected, t);
                    }
                } else if (!add(v)) {
                    return bad_value(ptr, key, expected, v);
                }
            } else if (key == "enum") {
                if (!v.is_array()) return bad_value(ptr, key, "an array", v);
                n.has_enum = true;
                for (const auto& e : v) n.enum_values.push_back(canonical_json(e));
            } else if (key == "const") {
                n.const_value = canonical_json(v);
            } else if (key == "pattern") {
                if (!v.is_string()) return bad_value(ptr, key, "a string", v);
                auto pattern = SchemaPattern::compile(v.get<std::string>());
                if (!pattern) return fail(ptr, "keyword \"pattern\": " + pattern.error().message);
                n.pattern = std::move(*pattern);
            } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
                       key == "minProperties" || key == "maxProperties") {
                auto c = count_value(ptr, key, v);
                if (!c) return c.take_error();
                auto& slot = key == "minLength"   ? n.min_length
                             : key == "maxLength" ? n.max_length
                             : key == "minItems"  ? n.min_items
                             : key == "maxItems"  ? n.max_items
                             : key == "minProperties" ? n.min_props
                                                      : n.max_props;
                slot = *c;
            } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
                       key == "exclusiveMaximum") {
                if (!v.is_number()) return bad_value(ptr, key, "a number", v);
                auto& slot = key == "minimum"            ? n.minimum
                             : key == "maximum"          ? n.maximum
                             : key == "exclusiveMinimum" ? n.exclusive_minimum
                                                         : n.exclusive_maximum;
                slot = v;
            } else if (key == "items") {
                if (v.is_array()) {
                    return fail(ptr, "keyword \"items\" takes one schema in draft 2020-12; the array form "
                                     "(draft 2019-09 and earlier) means prefixItems, which is not supported");
                }
                auto sub = compile(v, kptr);
                if (!sub) return sub.take_error();
                n.items = *sub;
            } else if (key == "uniqueItems") {
                if (!v.is_boolean()) return bad_value(ptr, key, "a boolean", v);
                n.unique_items = v.get<bool>();
            } else if (key == "properties") {
                if (!v.is_object()) return bad_value(ptr, key, "an object of schemas", v);
                for (auto p = v.begin(); p != v.end(); ++p) {
                    auto sub = compile(p.value(), json_pointer_append(kptr, p.key()));
                    if (!sub) return sub.take_error();
                    n.properties.emplace(p.key(), *sub);
                }
            } else if (key == "required") {
                constexpr const char* expected = "an array of distinct strings";
                if (!v.is_array()) return bad_value(ptr, key, expected, v);
                std::set<std::string> seen;
                for (const auto& r : v) {
                    if (!r.is_string() || !seen.insert(r.get<std::string>()).second) {
                        return bad_value(ptr, key, expected, r);
                    }
                    n.required.push_back(r.get<std::string>());
                }
            } else if (key == "additionalProperties" || key == "not") {
                auto sub = compile(v, kptr);
                if (!sub) return sub.take_error();
                (key == "not" ? n.not_schema : n.additional) = *sub;
            } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
                auto list = schema_list(ptr, key, v);
                if (!list) return list.take_error();
                (key == "allOf" ? n.all_of : key == "anyOf" ? n.any_of : n.one_of) = std::move(*list);
            } else if (key == "$ref") {
                if (!v.is_string()) return bad_value(ptr, key, "a string", v);
                n.ref_text = v.get<std::string>();
                pending_refs_.emplace_back(index, n.ref_text);
            }
        }
        out_.nodes[static_cast<std::size_t>(index)] = std::move(n);
        return index;
    }

    // "#/$defs/a%20b" -> the schema at JSON pointer "/$defs/a b".
    Result<int> resolve_ref(const std::string& from, const std::string& ref) {
        auto unsupported = [&](const std::string& why) {
            return fail(from, "$ref " + quote_json(ref) + " " + why);
        };
        if (ref.empty() || ref[0] != '#') {
            return unsupported("is not supported: only same-document references (\"#...\") are");
        }
        std::string pointer;
        for (std::size_t i = 1; i < ref.size(); ++i) {
            if (ref[i] == '%' && i + 2 < ref.size() && std::isxdigit(static_cast<unsigned char>(ref[i + 1])) &&
                std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
                pointer += static_cast<char>(std::stoi(ref.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                pointer += ref[i];
            }
        }
        if (!pointer.empty() && pointer[0] != '/') {
            return unsupported("is not supported: plain-name fragments ($anchor) are not, only JSON pointers");
        }
        // Canonical form of the pointer, as compile() registers it.
        std::string canonical;
        const json* at = &root_;
        std::size_t pos = 0;
        while (pos < pointer.size()) {
            const std::size_t next = pointer.find('/', pos + 1);
            std::string raw = pointer.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
            std::string token;
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                    token += raw[i + 1] == '0' ? '~' : '/';
                    ++i;
                } else {
                    token += raw[i];
                }
            }
            if (at->is_object() && at->contains(token)) {
                at = &(*at)[token];
            } else if (at->is_array() && !token.empty() && token.find_first_not_of("0123456789") == std::string::npos &&
                       (token == "0" || token[0] != '0') && token.size() < 10 && std::stoul(token) < at->size()) {
                at = &(*at)[std::stoul(token)];
            } else {
                return unsupported("does not resolve: no " + quote_json(token) + " at " + show_pointer(canonical));
            }
            canonical = json_pointer_append(canonical, token);
            if (next == std::string::npos) break;
            pos = next;
        }
        return compile(*at, canonical);
    }

    // A cycle through $ref / allOf / anyOf / oneOf / not never moves to a child
    // of the document, so validating against it could only recurse forever.
    Status check_ref_cycles() const {
        const std::size_t count = out_.nodes.size();
        std::vector<int> state(count, 0);  // 0 new, 1 on the current path, 2 done
        std::vector<int> path;
        Status result;
        auto visit = [&](auto&& self, int node) -> bool {
            state[static_cast<std::size_t>(node)] = 1;
            path.push_back(node);
            const Node& n = out_.nodes[static_cast<std::size_t>(node)];
            std::vector<int> next(n.all_of);
            next.insert(next.end(), n.any_of.begin(), n.any_of.end());
            next.insert(next.end(), n.one_of.begin(), n.one_of.end());
            if (n.not_schema >= 0) next.push_back(n.not_schema);
            if (n.ref >= 0) next.push_back(n.ref);
            for (int m : next) {
                if (state[static_cast<std::size_t>(m)] == 1) {
                    std::string chain;
                    bool on = false;
                    for (int p : path) {
                        on = on || p == m;
                        if (on) chain += show_pointer(out_.nodes[static_cast<std::size_t>(p)].pointer) + " -> ";
                    }
                    chain += show_pointer(out_.nodes[static_cast<std::size_t>(m)].pointer);
                    result = fail(n.pointer, "reference cycle that never descends into the document: " + chain);
                    return false;
                }
                if (state[static_cast<std::size_t>(m)] == 0 && !self(self, m)) return false;
            }
            path.pop_back();
            state[static_cast<std::size_t>(node)] = 2;
            return true;
        };
        for (std::size_t i = 0; i < count; ++i) {
            if (state[i] == 0 && !visit(visit, static_cast<int>(i))) break;
        }
        return result;
    }

    const json& root_;
    Compiled out_;
    std::map<std::string, int> by_pointer_;
    std::vector<std::pair<int, std::string>> pending_refs_;
};

// Recursion happens only in run() and the small descend_* functions; the
// message-building checks are kept out of line so the frames that repeat once
// per document level stay small (deep documents, sanitizer builds).
class Validator {
public:
    explicit Validator(const Compiled& c) : c_(c) {}

    void run(int node, const json& doc, std::string& ptr, std::vector<SchemaViolation>& out, int depth) const {
        const Node& n = c_.nodes[static_cast<std::size_t>(node)];
        if (depth > k_max_validation_depth || n.boolean) {
            check_leaf(n, doc, ptr, out, depth);
            return;
        }
        check_local(n, doc, ptr, out);
        if (n.items >= 0 && doc.is_array()) descend_items(n, doc, ptr, out, depth);
        if (doc.is_object()) descend_properties(n, doc, ptr, out, depth);
        for (int sub : n.all_of) run(sub, doc, ptr, out, depth + 1);
        if (!n.any_of.empty() || !n.one_of.empty() || n.not_schema >= 0) check_combinators(n, doc, ptr, out, depth);
        if (n.ref >= 0) run(n.ref, doc, ptr, out, depth + 1);
    }

private:
    struct Report {
        const std::string& ptr;
        std::vector<SchemaViolation>& out;
        void operator()(std::string message) const { out.push_back({ptr, std::move(message)}); }
    };

    [[gnu::noinline]] static void check_leaf(const Node& n, const json& doc, const std::string& ptr,
                                             std::vector<SchemaViolation>& out, int depth) {
        if (depth > k_max_validation_depth) {
            out.push_back({ptr, "document nested too deeply to validate (more than " +
                                    std::to_string(k_max_validation_depth) + " levels)"});
        } else if (n.boolean == false) {
            out.push_back({ptr, "no value is allowed here (schema is false), found " + describe(doc)});
        }
    }

    static bool type_matches(unsigned types, const json& v) {
        switch (v.type()) {
            case json::value_t::null: return types & k_null;
            case json::value_t::boolean: return types & k_boolean;
            case json::value_t::object: return types & k_object;
            case json::value_t::array: return types & k_array;
            case json::value_t::string: return types & k_string;
            case json::value_t::number_integer:
            case json::value_t::number_unsigned:
            case json::value_t::number_float: return (types & k_number) || ((types & k_integer) && is_integral(v));
            default: return false;
        }
    }

    // Every keyword that looks at this value only (no subschemas).
    [[gnu::noinline]] void check_local(const Node& n, const json& doc, const std::string& ptr,
                                       std::vector<SchemaViolation>& out) const {
        const Report add{ptr, out};
        if (n.types != 0 && !type_matches(n.types, doc)) {
            add("expected " + type_list(n.types) + ", found " + describe(doc));
        }
        if (n.has_enum || n.const_value) {
            const std::string text = canonical_json(doc);
            if (n.has_enum && std::find(n.enum_values.begin(), n.enum_values.end(), text) == n.enum_values.end()) {
                std::string options;
                for (const auto& e : n.enum_values) options += (options.empty() ? "" : ", ") + e;
                add("expected one of " + shorten(options, 200) + ", found " + shorten(text));
            }
            if (n.const_value && *n.const_value != text) {
                add("expected " + shorten(*n.const_value) + ", found " + shorten(text));
            }
        }
        if (doc.is_string()) check_string(n, doc.get_ref<const std::string&>(), add);
        if (doc.is_number()) check_number(n, doc, add);
        if (doc.is_array()) check_array(n, doc, add);
        if (doc.is_object()) check_object(n, doc, add);
    }

    static void check_string(const Node& n, const std::string& s, const Report& add) {
        if (n.min_length || n.max_length) {
            const std::uint64_t len = code_points(s);
            if (n.min_length && len < *n.min_length) {
                add("expected a string of at least " + std::to_string(*n.min_length) + " characters, found " +
                    std::to_string(len));
            }
            if (n.max_length && len > *n.max_length) {
                add("expected a string of at most " + std::to_string(*n.max_length) + " characters, found " +
                    std::to_string(len));
            }
        }
        if (n.pattern && !n.pattern->search(s)) {
            add("expected a string matching /" + n.pattern->source() + "/, found " + shorten(quote_json(s)));
        }
    }

    static void check_number(const Node& n, const json& v, const Report& add) {
        const std::string what = n.types == k_integer ? "integer" : "number";
        const std::string found = ", found " + canonical_json(v);
        if (n.minimum && compare_numbers(v, *n.minimum) < 0) {
            add("expected " + what + " >= " + canonical_json(*n.minimum) + found);
        }
        if (n.maximum && compare_numbers(v, *n.maximum) > 0) {
            add("expected " + what + " <= " + canonical_json(*n.maximum) + found);
        }
        if (n.exclusive_minimum && compare_numbers(v, *n.exclusive_minimum) <= 0) {
            add("expected " + what + " > " + canonical_json(*n.exclusive_minimum) + found);
        }
        if (n.exclusive_maximum && compare_numbers(v, *n.exclusive_maximum) >= 0) {
            add("expected " + what + " < " + canonical_json(*n.exclusive_maximum) + found);
        }
    }

    void check_array(const Node& n, const json& a, const Report& add) const {
        if (n.min_items && a.size() < *n.min_items) {
            add("expected at least " + std::to_string(*n.min_items) + " items, found " + std::to_string(a.size()));
        }
        if (n.max_items && a.size() > *n.max_items) {
            add("expected at most " + std::to_string(*n.max_items) + " items, found " + std::to_string(a.size()));
        }
        if (n.unique_items) {
            std::map<std::string, std::size_t> seen;  // canonical text -> first index
            for (std::size_t i = 0; i < a.size(); ++i) {
                auto [it, fresh] = seen.emplace(canonical_json(a[i]), i);
                if (!fresh) {
                    add("expected unique items, found item " + std::to_string(i) + " equal to item " +
                        std::to_string(it->second) + " (" + shorten(it->first) + ")");
                    break;
                }
            }
        }
        // python-jsonschema reports "items": false once, at the array.
        if (n.items >= 0 && c_.nodes[static_cast<std::size_t>(n.items)].boolean == false && !a.empty()) {
            add("expected no items (items is false), found " + std::to_string(a.size()));
        }
    }

    void check_object(const Node& n, const json& o, const Report& add) const {
        if (n.min_props && o.size() < *n.min_props) {
            add("expected at least " + std::to_string(*n.min_props) + " properties, found " +
                std::to_string(o.size()));
        }
        if (n.max_props && o.size() > *n.max_props) {
            add("expected at most " + std::to_string(*n.max_props) + " properties, found " +
                std::to_string(o.size()));
        }
        for (const auto& r : n.required) {
            if (!o.contains(r)) add("missing required property " + quote_json(r));
        }
        // "additionalProperties": false is one violation at the object listing the extras.
        if (n.additional >= 0 && c_.nodes[static_cast<std::size_t>(n.additional)].boolean == false) {
            std::string extras;
            std::size_t count = 0;
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (n.properties.count(it.key())) continue;
                extras += (extras.empty() ? "" : ", ") + quote_json(it.key());
                ++count;
            }
            if (count > 0) {
                add(std::string(count == 1 ? "unexpected property " : "unexpected properties ") + shorten(extras, 200) +
                    " (additionalProperties is false)");
            }
        }
    }

    bool is_false_schema(int node) const { return c_.nodes[static_cast<std::size_t>(node)].boolean == false; }

    void descend_items(const Node& n, const json& a, std::string& ptr, std::vector<SchemaViolation>& out,
                       int depth) const {
        if (is_false_schema(n.items)) return;  // reported by check_array
        const std::size_t base = ptr.size();
        for (std::size_t i = 0; i < a.size(); ++i) {
            append_index(ptr, i);
            run(n.items, a[i], ptr, out, depth + 1);
            ptr.resize(base);
        }
    }

    void descend_properties(const Node& n, const json& o, std::string& ptr, std::vector<SchemaViolation>& out,
                            int depth) const {
        const std::size_t base = ptr.size();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const auto p = n.properties.find(it.key());
            const int sub = p != n.properties.end() ? p->second : n.additional;
            if (sub < 0 || (p == n.properties.end() && is_false_schema(sub))) continue;  // check_object reported it
            append_key(ptr, it.key());
            run(sub, it.value(), ptr, out, depth + 1);
            ptr.resize(base);
        }
    }

    [[gnu::noinline]] static void append_index(std::string& ptr, std::size_t i) {
        ptr += '/';
        ptr += std::to_string(i);
    }
    [[gnu::noinline]] static void append_key(std::string& ptr, const std::string& key) {
        ptr = json_pointer_append(ptr, key);
    }

    std::vector<SchemaViolation> sub_violations(int node, const json& doc, std::string& ptr, int depth) const {
        std::vector<SchemaViolation> v;
        run(node, doc, ptr, v, depth + 1);
        return v;
    }

    // " [1] /a: expected string, found integer 3 (and 2 more);"
    static std::string summary(std::size_t index, const std::vector<SchemaViolation>& v) {
        std::string s = " [" + std::to_string(index) + "] ";
        if (!v[0].pointer.empty()) s += v[0].pointer + ": ";
        s += v[0].message;
        if (v.size() > 1) s += " (and " + std::to_string(v.size() - 1) + " more)";
        return s + ";";
    }

    [[gnu::noinline]] void check_combinators(const Node& n, const json& doc, std::string& ptr,
                                             std::vector<SchemaViolation>& out, int depth) const {
        const Report add{ptr, out};
        if (!n.any_of.empty()) {
            std::string why;
            bool matched = false;
            for (std::size_t i = 0; i < n.any_of.size() && !matched; ++i) {
                auto v = sub_violations(n.any_of[i], doc, ptr, depth);
                matched = v.empty();
                if (!matched) why += summary(i, v);
            }
            if (!matched) add("expected a match for at least one schema in anyOf, matched none:" + why);
        }
        if (!n.one_of.empty()) {
            std::string why;
            std::vector<std::size_t> matched;
            for (std::size_t i = 0; i < n.one_of.size(); ++i) {
                auto v = sub_violations(n.one_of[i], doc, ptr, depth);
                if (v.empty()) matched.push_back(i);
                else why += summary(i, v);
            }
            if (matched.empty()) {
                add("expected a match for exactly one schema in oneOf, matched none:" + why);
            } else if (matched.size() > 1) {
                std::string list;
                for (auto i : matched) list += (list.empty() ? "" : ", ") + std::to_string(i);
                add("expected a match for exactly one schema in oneOf, matched " + std::to_string(matched.size()) +
                    " (" + list + ")");
            }
        }
        if (n.not_schema >= 0 && sub_violations(n.not_schema, doc, ptr, depth).empty()) {
            add("expected no match for the schema in \"not\", found " + describe(doc) + ", which matches it");
        }
    }

    const Compiled& c_;
};

}  // namespace

Result<JsonSchema> JsonSchema::compile(const nlohmann::json& schema, std::string where) {
    try {
        Compiler compiler(schema, std::move(where));
        auto compiled = compiler.run();
        if (!compiled) return compiled.take_error();
        return JsonSchema(std::make_shared<const Compiled>(std::move(*compiled)));
    } catch (const std::exception& e) {
        return make_error(ErrorCode::internal, "json_schema.internal",
                          "compiling JSON schema failed unexpectedly: " + std::string(e.what()));
    }
}

std::vector<SchemaViolation> JsonSchema::validate(const nlohmann::json& doc) const {
    std::vector<SchemaViolation> out;
    try {
        std::string ptr;
        Validator(*compiled_).run(0, doc, ptr, out, 0);
    } catch (const std::exception& e) {
        out.push_back({"", std::string("validation failed unexpectedly: ") + e.what()});
    }
    return out;
}

Status JsonSchema::check(const nlohmann::json& doc, std::string_view doc_where) const {
    const auto violations = validate(doc);
    if (violations.empty()) return {};
    constexpr std::size_t k_shown = 5;
    std::string message = std::string(doc_where) + ": does not match schema " + compiled_->where + ":";
    for (std::size_t i = 0; i < violations.size() && i < k_shown; ++i) {
        message += (i == 0 ? " " : "; ") + show_pointer(violations[i].pointer) + ": " + violations[i].message;
    }
    if (violations.size() > k_shown) message += " (and " + std::to_string(violations.size() - k_shown) + " more)";
    return make_error(ErrorCode::invalid_input, "json_schema.violation", std::move(message));
}

const std::string& JsonSchema::where() const { return compiled_->where; }

}  // namespace slm
