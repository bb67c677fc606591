// JUnit XML for CI systems: one <testcase> per eval case and per metric threshold.
#include "eval/sidecar.hpp"

namespace slm::eval {
namespace {

using nlohmann::json;

// Text for XML attributes and content: escapes markup and drops characters
// XML 1.0 forbids (control characters other than tab, newline, return).
std::string xml(std::string_view s) {
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (c >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r') out += ch;
                else out += "\xEF\xBF\xBD";
        }
    }
    return out;
}

std::string seconds(const json& ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", ms.is_number() ? ms.get<double>() / 1000.0 : 0.0);
    return buf;
}

}  // namespace

std::string junit_xml(const json& s) {
    const std::string suite = s["suite"]["id"].get<std::string>() + "@" + s["suite"]["version"].get<std::string>();
    std::string body;
    std::size_t tests = 0, failures = 0;
    for (const json& c : s["cases"]) {
        ++tests;
        const std::string id = c["id"];
        body += "    <testcase classname=\"" + xml(suite) + "\" name=\"" + xml(id) + "\" time=\"" +
                seconds(s["timings"]["cases_ms"].value(id, json(0))) + "\"";
        if (c["passed"].get<bool>()) {
            body += "/>\n";
            continue;
        }
        ++failures;
        const std::string message = c["message"];
        body += ">\n      <failure message=\"" + xml(message) + "\" type=\"" + xml(c["scorer"].get<std::string>()) +
                "\">expected: " + xml(c.value("expected", json("")).dump()) + "\ngot: " + xml(c["output"].dump()) +
                "</failure>\n    </testcase>\n";
    }
    const json& t = s["thresholds"];
    const json& m = s["metrics"];
    for (auto [metric, threshold, op] : {std::tuple{"perplexity", "perplexity_max", "<="},
                                         std::tuple{"kl_vs_parent", "kl_max", "<="},
                                         std::tuple{"same_top1_vs_parent", "same_top1_min", ">="}}) {
        if (t[threshold].is_null()) continue;
        ++tests;
        body += "    <testcase classname=\"" + xml(suite) + ".metrics\" name=\"" +
                xml(std::string(metric) + " " + op + " " + t[threshold].dump()) + "\" time=\"0.000\"";
        std::string failure;
        for (const json& r : s["decision_reasons"])
            if (r.get<std::string>().rfind(metric, 0) == 0) failure = r;
        if (failure.empty()) {
            body += "/>\n";
        } else {
            ++failures;
            body += ">\n      <failure message=\"" + xml(failure) + "\" type=\"threshold\">value: " +
                    xml(m.value(metric, json(nullptr)).dump()) + "</failure>\n    </testcase>\n";
        }
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"" + std::to_string(tests) +
           "\" failures=\"" + std::to_string(failures) + "\">\n  <testsuite name=\"" + xml(suite) + "\" tests=\"" +
           std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" time=\"" +
           seconds(s["timings"]["total_ms"]) + "\" timestamp=\"" + xml(s["generated_at_utc"].get<std::string>()) +
           "\">\n" + body + "  </testsuite>\n</testsuites>\n";
}

}  // namespace slm::eval
