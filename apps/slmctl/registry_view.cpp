#include "registry_view.hpp"

#include <fmt/core.h>

namespace slmctl {

using nlohmann::json;
namespace reg = slm::registry;

std::string short_digest(const std::string& digest) { return digest.substr(0, 7 + 12); }

std::string aliases_of(const reg::SkillEntry& skill, const std::string& version) {
    std::string out;
    for (const auto& [alias, a] : skill.aliases)
        if (a.target == version) out += (out.empty() ? "" : ",") + alias;
    return out;
}

json version_json(const std::string& name, const reg::SkillEntry& skill, const reg::VersionEntry& v) {
    auto desc = [](const reg::Descriptor& d) { return json{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}}; };
    json refs = json::array();
    for (const auto& r : v.referrers)
        refs.push_back({{"kind", r.kind}, {"manifest", r.manifest.digest}, {"blob", r.blob.digest}, {"summary", r.summary}});
    json aliases = json::array();
    for (const auto& [alias, a] : skill.aliases)
        if (a.target == v.version) aliases.push_back(alias);
    json out = {{"name", name},
                {"version", v.version},
                {"reference", name + ":" + v.version},
                {"stage", reg::stage_name(v.stage)},
                {"aliases", aliases},
                {"artifact", desc(v.artifact)},
                {"manifest_id", v.config.digest},
                {"oci_manifest", desc(v.manifest)},
                {"added_at", v.added_at},
                {"referrers", refs}};
    if (v.provenance) out["provenance"] = desc(*v.provenance);
    return out;
}

std::string evidence_summary(const reg::VersionEntry& v) {
    int pass = 0, fail = 0, sigs = 0;
    for (const auto& r : v.referrers) {
        if (r.kind == "signature") ++sigs;
        if (r.kind != "eval") continue;
        (r.summary.value("decision", "") == "pass" ? pass : fail) += 1;
    }
    std::string out = pass + fail == 0 ? "no evals" : fmt::format("evals {} pass/{} fail", pass, fail);
    if (sigs > 0) out += fmt::format(", {} signature(s)", sigs);
    return out;
}

std::string record_line(const json& r) {
    const std::string event = r.value("event", "");
    std::string what;
    if (event == "add") {
        what = fmt::format("add      {} (artifact {})", r.value("version", ""),
                           short_digest(r["artifact"].value("digest", "")));
    } else if (event == "attach") {
        const json& s = r.value("summary", json::object());
        what = fmt::format("attach   {} {} to {}{}", r.value("kind", ""), short_digest(r["blob"].value("digest", "")),
                           r.value("version", ""),
                           s.contains("decision") ? fmt::format(" ({} {})", s.value("suite", ""), s.value("decision", ""))
                                                  : std::string());
    } else if (event == "state") {
        what = fmt::format("stage    {} {} -> {}", r.value("version", ""), r.value("from", ""), r.value("to", ""));
    } else if (event == "alias") {
        const std::string from = r["from"].is_null() ? "(new)" : r["from"].get<std::string>();
        what = fmt::format("{:<8} @{} {} -> {}", r.value("op", ""), r.value("alias", ""), from, r.value("to", ""));
    } else {
        what = event;
    }
    const std::string reason = r.value("reason", "");
    return fmt::format("#{:<5} {} {:<16} {}{}", r.value("seq", 0ULL), r.value("time", ""), r.value("actor", ""), what,
                       reason.empty() ? "" : "  (" + reason + ")");
}

}  // namespace slmctl
