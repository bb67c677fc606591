#include "sidecar_attach.hpp"

#include "core/json_canonical.hpp"
#include "output.hpp"
#include "registry/add.hpp"
#include "registry/oci.hpp"
#include "registry/resolve.hpp"

namespace slmctl {

int attach_sidecar(const RegistryArgs& registry_args, const nlohmann::json& sidecar,
                   const std::optional<slm::registry::ResolvedVersion>& resolved, nlohmann::json& summary) {
    auto registry = open_registry(registry_args, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    auto version = resolved ? slm::Result<slm::registry::ResolvedVersion>(*resolved)
                            : slm::registry::find_by_artifact(*state, sidecar["model_digest"].get<std::string>());
    if (!version) return report_error(version.error());
    const std::string bytes = slm::canonical_json(sidecar);
    nlohmann::json brief = {{"suite", sidecar["suite"]["id"]},
                            {"decision", sidecar["decision"]},
                            {"generated_at_utc", sidecar["generated_at_utc"]},
                            {"cases_passed", sidecar["cases_passed"]},
                            {"cases_failed", sidecar["cases_failed"]}};
    auto attached = slm::registry::attach_referrer(
        *registry,
        {version->name, version->entry.version, "eval", slm::registry::k_eval_media_type, slm::as_bytes(bytes), brief},
        slm::registry::current_actor(registry_args.reason));
    if (!attached) return report_error(attached.error());
    summary["registry"] = {{"reference", version->name + ":" + version->entry.version},
                           {"sidecar_manifest", attached->referrer.manifest.digest},
                           {"already_present", attached->already_present}};
    return 0;
}

}  // namespace slmctl
