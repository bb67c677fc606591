#include "registry/resolve.hpp"

#include <algorithm>

namespace slm::registry {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
    const std::string best = closest_match(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

template <class Map>
std::vector<std::string> keys(const Map& m) {
    std::vector<std::string> out;
    for (const auto& kv : m) out.push_back(kv.first);
    return out;
}

Error not_found(const std::string& what) { return make_error(ErrorCode::not_found, "registry.not_found", what); }

bool digest_matches(const VersionEntry& v, const std::string& prefix) {
    for (const Descriptor* d : {&v.artifact, &v.config, &v.manifest})
        if (d->digest.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) best = c, best_d = d;
    }
    return best;
}

Result<ResolvedVersion> resolve(const RegistryState& state, const Reference& ref) {
    auto skill_it = state.skills.find(ref.name);
    if (skill_it == state.skills.end())
        return not_found("no skill named '" + ref.name + "' in the registry" + suggestion(ref.name, keys(state.skills)));
    const SkillEntry& skill = skill_it->second;
    ResolvedVersion out{ref.name, {}, ""};
    switch (ref.kind) {
        case Reference::Kind::name:
            return make_error(ErrorCode::usage, "registry.bare_name",
                              "'" + ref.name + "' names a skill, not a version: use " + ref.name + ":VERSION, " +
                                  ref.name + "@ALIAS (e.g. @champion, @latest) or " + ref.name + "@sha256:...");
        case Reference::Kind::version: {
            auto v = skill.versions.find(ref.value);
            if (v == skill.versions.end())
                return not_found("no version " + ref.value + " of " + ref.name + suggestion(ref.value, keys(skill.versions)));
            out.entry = v->second;
            return out;
        }
        case Reference::Kind::alias: {
            if (ref.value == "latest") {
                const VersionEntry* newest = nullptr;
                for (const auto& [ver, v] : skill.versions)
                    if (newest == nullptr || v.added_seq > newest->added_seq) newest = &v;
                out.entry = *newest;  // a skill exists only through an added version
                out.alias = "latest";
                return out;
            }
            auto a = skill.aliases.find(ref.value);
            if (a == skill.aliases.end())
                return not_found("no alias '" + ref.value + "' on " + ref.name +
                                 suggestion(ref.value, keys(skill.aliases)) +
                                 (skill.aliases.empty() ? " (no alias has been set yet: slmctl promote)" : ""));
            out.entry = skill.versions.at(a->second.target);
            out.alias = ref.value;
            return out;
        }
        case Reference::Kind::digest: {
            const VersionEntry* found = nullptr;
            for (const auto& [ver, v] : skill.versions) {
                if (!digest_matches(v, ref.value)) continue;
                if (found != nullptr)
                    return make_error(ErrorCode::usage, "registry.ambiguous_digest",
                                      ref.to_string() + " matches versions " + found->version + " and " + ver +
                                          ": give more hex digits");
                found = &v;
            }
            if (found == nullptr) return not_found("no version of " + ref.name + " has a digest starting with " + ref.value);
            out.entry = *found;
            return out;
        }
    }
    return not_found(ref.to_string());
}

Result<ResolvedVersion> find_by_artifact(const RegistryState& state, const std::string& artifact_digest) {
    for (const auto& [name, skill] : state.skills)
        for (const auto& [ver, v] : skill.versions)
            if (v.artifact.digest == artifact_digest) return ResolvedVersion{name, v, ""};
    return not_found("no version in the registry has artifact " + artifact_digest +
                     " (add it first: slmctl add FILE.slm)");
}

}  // namespace slm::registry
