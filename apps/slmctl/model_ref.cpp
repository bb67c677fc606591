#include "model_ref.hpp"

#include <sys/stat.h>

#include "package/manifest.hpp"

namespace slmctl {

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

slm::Result<ModelInput> resolve_model(const std::string& arg, const RegistryArgs& registry_args, bool verify_digest) {
    namespace reg = slm::registry;
    const bool reference_shaped = arg.find_first_of(":@") != std::string::npos;
    if (!exists(arg) && !reference_shaped && reg::is_skill_name(arg)) {
        // A bare skill name: say how to name a version if the registry has it.
        if (auto registry = open_registry(registry_args, false))
            if (auto state = registry->read_state(); state && state->skills.count(arg))
                return reg::resolve(*state, reg::Reference{reg::Reference::Kind::name, arg, ""}).take_error();
    }
    if (exists(arg) || !reference_shaped) {
        ModelInput in{arg, "", std::nullopt, arg};
        if (const std::string m = slm::package::default_manifest_path(arg); exists(m)) in.manifest_path = m;
        if (!exists(arg))
            return slm::make_error(slm::ErrorCode::not_found, "io.open",
                                   arg + ": no such file (nor a registry reference NAME:VERSION, NAME@ALIAS or "
                                         "NAME@sha256:...)");
        return in;
    }
    auto ref = reg::parse_reference(arg);
    if (!ref) return ref.take_error();
    auto registry = open_registry(registry_args, false);
    if (!registry) return registry.take_error();
    auto state = registry->read_state();
    if (!state) return state.take_error();
    auto resolved = reg::resolve(*state, *ref);
    if (!resolved) return resolved.take_error();
    if (resolved->entry.stage == reg::Stage::quarantined)
        return slm::make_error(slm::ErrorCode::incompatible, "registry.quarantined",
                               arg + " resolves to " + resolved->name + ":" + resolved->entry.version +
                                   ", which is quarantined" +
                                   (resolved->alias.empty() ? "" : " (roll the alias back: slmctl rollback " +
                                                                       resolved->name + " --alias " + resolved->alias + ")"));
    if (verify_digest)
        if (auto blob = registry->blobs().open_verified(resolved->entry.artifact); !blob) return blob.take_error();
    ModelInput in;
    in.path = registry->blobs().path(resolved->entry.artifact.digest);
    in.manifest_path = registry->blobs().path(resolved->entry.config.digest);
    in.label = resolved->name + ":" + resolved->entry.version;
    in.version = std::move(*resolved);
    return in;
}

}  // namespace slmctl
