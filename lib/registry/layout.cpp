#include "registry/layout.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/io.hpp"

namespace slm::registry {
namespace {

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return {};
    return make_error(ErrorCode::internal, "registry.mkdir", path + ": cannot create directory: " + std::strerror(errno));
}

}  // namespace

std::string Layout::blob(const std::string& digest) const { return blobs_dir() + "/" + digest.substr(7); }

std::string default_root(const std::string& cli_value) {
    if (!cli_value.empty()) return cli_value;
    if (const char* home = std::getenv("SLM_HOME"); home != nullptr && *home != '\0') return home;
    return ".slm";
}

Result<Layout> open_layout(const std::string& root, bool create) {
    Layout layout{root};
    while (layout.root.size() > 1 && layout.root.back() == '/') layout.root.pop_back();
    if (is_file(layout.oci_layout()) && is_dir(layout.meta_dir())) return layout;
    if (is_file(layout.oci_layout()) || (is_dir(root) && is_file(layout.index_json())))
        return make_error(ErrorCode::invalid_input, "registry.foreign_layout",
                          root + ": an OCI layout not created by slmctl (no slmctl/ folder); "
                                 "copy artifacts in with `slmctl pull` or skopeo instead");
    if (!create)
        return make_error(ErrorCode::not_found, "registry.not_found",
                          root + ": no registry here (set --registry or SLM_HOME, or create one with "
                                 "`slmctl pack --add`)");
    for (const std::string& dir : {layout.root, layout.root + "/blobs", layout.blobs_dir(), layout.meta_dir()})
        SLM_TRY(make_dir(dir));
    // index.json first, oci-layout last: oci-layout marks a complete layout.
    if (!is_file(layout.index_json()))
        SLM_TRY(write_file_atomic(layout.index_json(),
                                  std::string_view(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})")));
    SLM_TRY(write_file_atomic(layout.oci_layout(), std::string_view(R"({"imageLayoutVersion":"1.0.0"})")));
    return layout;
}

}  // namespace slm::registry
