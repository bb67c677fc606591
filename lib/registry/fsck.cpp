#include <set>

#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "registry/maintenance.hpp"
#include "registry/oci.hpp"

namespace slm::registry {

using Level = FsckFinding::Level;

namespace {

void check_layout_files(const Registry& registry, FsckReport& report) {
    for (const std::string& path : {registry.layout().oci_layout(), registry.layout().index_json()}) {
        auto text = read_text_file(path);
        if (!text) {
            report.findings.push_back({Level::error, "layout", text.error().message});
            continue;
        }
        if (auto j = parse_json(*text, path); !j)
            report.findings.push_back({Level::error, "layout", j.error().message});
    }
}

// Each version's OCI manifest must be exactly what its journal record implies.
void check_manifests(const Registry& registry, const RegistryState& state, FsckReport& report) {
    for (const auto& [name, skill] : state.skills)
        for (const auto& [ver, v] : skill.versions) {
            auto bytes = registry.blobs().read_verified(v.manifest);
            if (!bytes) continue;  // reported by the blob pass
            auto m = parse_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                                registry.blobs().path(v.manifest.digest));
            const bool ok = m && (*m)["config"].value("digest", "") == v.config.digest &&
                            (*m)["layers"].is_array() && !(*m)["layers"].empty() &&
                            (*m)["layers"][0].value("digest", "") == v.artifact.digest;
            if (!ok)
                report.findings.push_back({Level::error, "reference",
                                           name + ":" + ver + ": OCI manifest " + v.manifest.digest +
                                               " does not name the recorded config and artifact"});
            for (const auto& r : v.referrers) {
                auto rb = registry.blobs().read_verified(r.manifest);
                if (!rb) continue;
                auto rm = parse_json(std::string_view(reinterpret_cast<const char*>(rb->data()), rb->size()),
                                     registry.blobs().path(r.manifest.digest));
                if (!rm || (*rm)["subject"].value("digest", "") != v.manifest.digest)
                    report.findings.push_back({Level::error, "reference",
                                               name + ":" + ver + ": " + r.kind + " " + r.manifest.digest +
                                                   " does not have this version as its subject"});
            }
        }
}

}  // namespace

const char* fsck_level_name(Level level) {
    switch (level) {
        case Level::error: return "error";
        case Level::repaired: return "repaired";
        case Level::note: return "note";
    }
    return "note";
}

bool FsckReport::clean() const {
    for (const auto& f : findings)
        if (f.level == Level::error) return false;
    return true;
}

FsckReport fsck(Registry& registry, const FsckOptions& options) {
    FsckReport report;
    check_layout_files(registry, report);

    // The whole journal from the first record: the chain, then a replay.
    auto tail = read_journal(registry.layout().journal(), JournalPosition{});
    if (!tail) {
        report.findings.push_back({Level::error, "journal", tail.error().message});
        return report;
    }
    report.records = tail->end.records;
    RegistryState state;
    for (const auto& rec : tail->records) {
        if (auto st = apply_record(state, rec); !st) {
            report.findings.push_back({Level::error, "journal", st.error().message});
            return report;
        }
    }
    state.journal = tail->end;
    for (const auto& [name, skill] : state.skills) report.versions += skill.versions.size();

    // The views: behind the journal after a crash, rolled forward here.
    auto index = read_text_file(registry.layout().index_json());
    const bool index_stale = !index || *index != index_json(state);
    auto snapshot_text = read_text_file(registry.layout().state());
    const bool state_stale = !snapshot_text || *snapshot_text != canonical_json(state_to_json(state));
    if (tail->torn_bytes > 0 || index_stale || state_stale) {
        std::string what = std::string(tail->torn_bytes > 0 ? "uncommitted journal tail; " : "") +
                           (index_stale ? "index.json behind the journal; " : "") +
                           (state_stale ? "state.json behind the journal; " : "");
        what.resize(what.size() - 2);
        if (options.repair) {
            auto refreshed = registry.refresh_views();
            report.findings.push_back({refreshed ? Level::repaired : Level::error, "views",
                                       refreshed ? what : what + ": " + refreshed.error().message});
        } else {
            report.findings.push_back({Level::note, "views", what + " (fsck repairs this unless --no-repair)"});
        }
    }

    // Every referenced blob present and intact; anything else is garbage.
    std::set<std::string> live;
    for (const auto& d : referenced_blobs(state)) {
        live.insert(d.digest.substr(7));
        if (!options.verify_blobs) continue;
        ++report.blobs_checked;
        if (auto f = registry.blobs().open_verified(d); !f)
            report.findings.push_back({Level::error, "blob", f.error().message});
    }
    check_manifests(registry, state, report);
    const auto listing = registry.blobs().list();
    std::size_t unreferenced = 0;
    for (const auto& hex : listing.digests) unreferenced += live.count(hex) ? 0 : 1;
    if (unreferenced + listing.temporaries.size() > 0)
        report.findings.push_back({Level::note, "garbage",
                                   std::to_string(unreferenced) + " unreferenced blob(s), " +
                                       std::to_string(listing.temporaries.size()) +
                                       " temporary file(s) (slmctl gc removes them)"});
    return report;
}

}  // namespace slm::registry
