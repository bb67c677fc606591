// How versions and journal records are shown by ls, show, log and promote:
// one JSON shape (for --json) and one line format (for people).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "registry/state.hpp"

namespace slmctl {

// "sha256:0123456789ab" (12 hex digits), for tables.
std::string short_digest(const std::string& digest);

// Aliases of `skill` that point at `version`, comma-separated.
std::string aliases_of(const slm::registry::SkillEntry& skill, const std::string& version);

// Everything about a version except the skill manifest itself.
nlohmann::json version_json(const std::string& name, const slm::registry::SkillEntry& skill,
                            const slm::registry::VersionEntry& v);

// "eval pass 2 (newest 2026-11-24T10:00:00Z)" style summary of the referrers.
std::string evidence_summary(const slm::registry::VersionEntry& v);

// One journal record as a line: "#12 2026-... alice promote champion 1.0.0 -> 1.1.0 (why)".
std::string record_line(const nlohmann::json& record);

}  // namespace slmctl
