#include "registry/state.hpp"

#include <algorithm>

namespace slm::registry {

using nlohmann::json;

void to_json(json& j, const Descriptor& d) { j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}}; }
void from_json(const json& j, Descriptor& d) {
    d.media_type = j.at("mediaType").get<std::string>();
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<std::uint64_t>();
}

namespace {

constexpr const char* k_stage_names[] = {"candidate", "shadow", "canary", "champion", "retired", "quarantined"};

Error inconsistent(const JournalRecord& r, const std::string& why) {
    return make_error(ErrorCode::invalid_input, "registry.journal_inconsistent",
                      "journal record " + std::to_string(r.body.value("seq", 0ULL)) + " (" +
                          r.body.value("event", std::string("?")) + "): " + why);
}

Status apply_add(RegistryState& s, const JournalRecord& r) {
    const json& b = r.body;
    SkillEntry& skill = s.skills[b.at("name").get<std::string>()];
    const std::string version = b.at("version").get<std::string>();
    if (skill.versions.count(version)) return inconsistent(r, "version " + version + " added twice");
    VersionEntry v;
    v.version = version;
    v.manifest = b.at("manifest").get<Descriptor>();
    v.config = b.at("config").get<Descriptor>();
    v.artifact = b.at("artifact").get<Descriptor>();
    if (b.contains("provenance")) v.provenance = b["provenance"].get<Descriptor>();
    v.added_at = b.at("time").get<std::string>();
    v.added_seq = b.at("seq").get<std::uint64_t>();
    skill.versions.emplace(version, std::move(v));
    return {};
}

Result<VersionEntry*> find_version(RegistryState& s, const JournalRecord& r) {
    auto skill = s.skills.find(r.body.at("name").get<std::string>());
    const std::string version = r.body.at("version").get<std::string>();
    if (skill == s.skills.end() || !skill->second.versions.count(version))
        return inconsistent(r, "unknown version " + version);
    return &skill->second.versions.at(version);
}

Status apply_attach(RegistryState& s, const JournalRecord& r) {
    auto v = find_version(s, r);
    if (!v) return v.take_error();
    Referrer ref;
    ref.kind = r.body.at("kind").get<std::string>();
    ref.manifest = r.body.at("manifest").get<Descriptor>();
    ref.blob = r.body.at("blob").get<Descriptor>();
    ref.summary = r.body.value("summary", json::object());
    ref.seq = r.body.at("seq").get<std::uint64_t>();
    (*v)->referrers.push_back(std::move(ref));
    return {};
}

Status apply_state(RegistryState& s, const JournalRecord& r) {
    auto v = find_version(s, r);
    if (!v) return v.take_error();
    auto from = stage_from_name(r.body.at("from").get<std::string>());
    auto to = stage_from_name(r.body.at("to").get<std::string>());
    if (!from || !to) return inconsistent(r, "unknown stage");
    if ((*v)->stage != *from)
        return inconsistent(r, std::string("records a move from ") + stage_name(*from) + " but the version is " +
                                   stage_name((*v)->stage));
    (*v)->stage = *to;
    return {};
}

Status apply_alias(RegistryState& s, const JournalRecord& r) {
    const json& b = r.body;
    auto skill_it = s.skills.find(b.at("name").get<std::string>());
    if (skill_it == s.skills.end()) return inconsistent(r, "unknown skill");
    SkillEntry& skill = skill_it->second;
    const std::string alias = b.at("alias").get<std::string>();
    const std::string to = b.at("to").get<std::string>();
    const std::string from = b.at("from").is_null() ? "" : b.at("from").get<std::string>();
    if (!skill.versions.count(to)) return inconsistent(r, "alias " + alias + " moved to unknown version " + to);
    auto it = skill.aliases.find(alias);
    const std::string current = it == skill.aliases.end() ? "" : it->second.target;
    if (current != from)
        return inconsistent(r, "alias " + alias + " recorded as moving from '" + from + "' but it pointed at '" +
                                   current + "'");
    AliasEntry& a = skill.aliases[alias];
    const std::string op = b.at("op").get<std::string>();
    if (op == "rollback") {
        const auto steps = b.at("steps").get<std::uint64_t>();
        if (steps == 0 || steps > a.history.size() || a.history[a.history.size() - steps] != to)
            return inconsistent(r, "rollback of " + alias + " does not match its history");
        a.history.resize(a.history.size() - steps);
    } else if (!from.empty()) {
        a.history.push_back(from);
        if (a.history.size() > k_alias_history) a.history.erase(a.history.begin());
    }
    a.target = to;
    a.seq = b.at("seq").get<std::uint64_t>();
    return {};
}

}  // namespace

const char* stage_name(Stage s) { return k_stage_names[static_cast<int>(s)]; }

std::optional<Stage> stage_from_name(const std::string& name) {
    for (int i = 0; i < 6; ++i)
        if (name == k_stage_names[i]) return static_cast<Stage>(i);
    return std::nullopt;
}

bool stage_has_alias(Stage s) { return s == Stage::shadow || s == Stage::canary || s == Stage::champion; }

Status apply_record(RegistryState& state, const JournalRecord& record) {
    try {
        const std::string event = record.body.at("event").get<std::string>();
        Status st;
        if (event == "add") st = apply_add(state, record);
        else if (event == "attach") st = apply_attach(state, record);
        else if (event == "state") st = apply_state(state, record);
        else if (event == "alias") st = apply_alias(state, record);
        else return inconsistent(record, "unknown event '" + event + "'");
        return st;
    } catch (const json::exception& e) {
        return inconsistent(record, std::string("missing or mistyped field: ") + e.what());
    }
    return {};
}

json state_to_json(const RegistryState& s) {
    json skills = json::object();
    for (const auto& [name, skill] : s.skills) {
        json versions = json::object(), aliases = json::object();
        for (const auto& [ver, v] : skill.versions) {
            json refs = json::array();
            for (const auto& r : v.referrers)
                refs.push_back({{"kind", r.kind}, {"manifest", r.manifest}, {"blob", r.blob},
                                {"summary", r.summary}, {"seq", r.seq}});
            json e = {{"manifest", v.manifest}, {"config", v.config}, {"artifact", v.artifact},
                      {"stage", stage_name(v.stage)}, {"added_at", v.added_at}, {"added_seq", v.added_seq},
                      {"referrers", refs}};
            if (v.provenance) e["provenance"] = *v.provenance;
            versions[ver] = e;
        }
        for (const auto& [alias, a] : skill.aliases)
            aliases[alias] = {{"target", a.target}, {"history", a.history}, {"seq", a.seq}};
        skills[name] = {{"versions", versions}, {"aliases", aliases}};
    }
    return {{"journal", {{"offset", s.journal.offset}, {"records", s.journal.records}, {"head", s.journal.head}}},
            {"skills", skills}};
}

Result<RegistryState> state_from_json(const json& j, const std::string& where) {
    try {
        RegistryState s;
        const json& jp = j.at("journal");
        s.journal = {jp.at("offset").get<std::uint64_t>(), jp.at("records").get<std::uint64_t>(),
                     jp.at("head").get<std::string>()};
        for (const auto& [name, sj] : j.at("skills").items()) {
            SkillEntry& skill = s.skills[name];
            for (const auto& [ver, vj] : sj.at("versions").items()) {
                VersionEntry v;
                v.version = ver;
                v.manifest = vj.at("manifest").get<Descriptor>();
                v.config = vj.at("config").get<Descriptor>();
                v.artifact = vj.at("artifact").get<Descriptor>();
                if (vj.contains("provenance")) v.provenance = vj["provenance"].get<Descriptor>();
                auto stage = stage_from_name(vj.at("stage").get<std::string>());
                if (!stage) throw std::runtime_error("unknown stage");
                v.stage = *stage;
                v.added_at = vj.at("added_at").get<std::string>();
                v.added_seq = vj.at("added_seq").get<std::uint64_t>();
                for (const auto& rj : vj.at("referrers"))
                    v.referrers.push_back({rj.at("kind").get<std::string>(), rj.at("manifest").get<Descriptor>(),
                                           rj.at("blob").get<Descriptor>(), rj.at("summary"),
                                           rj.at("seq").get<std::uint64_t>()});
                skill.versions.emplace(ver, std::move(v));
            }
            for (const auto& [alias, aj] : sj.at("aliases").items())
                skill.aliases[alias] = {aj.at("target").get<std::string>(),
                                        aj.at("history").get<std::vector<std::string>>(),
                                        aj.at("seq").get<std::uint64_t>()};
        }
        return s;
    } catch (const std::exception& e) {
        return make_error(ErrorCode::invalid_input, "registry.state_corrupt", where + ": " + e.what());
    }
}

}  // namespace slm::registry

namespace slm::registry {

std::vector<Descriptor> referenced_blobs(const RegistryState& state) {
    std::map<std::string, Descriptor> out;
    auto add = [&](const Descriptor& d) { out.emplace(d.digest, d); };
    for (const auto& [name, skill] : state.skills)
        for (const auto& [ver, v] : skill.versions) {
            add(v.manifest);
            add(v.config);
            add(v.artifact);
            if (v.provenance) add(*v.provenance);
            for (const auto& r : v.referrers) {
                add(r.manifest);
                add(r.blob);
                add({"application/vnd.oci.empty.v1+json",
                     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2});
            }
        }
    std::vector<Descriptor> list;
    for (auto& kv : out) list.push_back(std::move(kv.second));
    return list;
}

}  // namespace slm::registry
