// Static files of a web app folder: "/" and "dir/" are their index.html;
// only regular files inside the folder (after following symlinks) are served.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "serve/http_response.hpp"

namespace slm::serve {

// `relative` comes from safe_relative_path. Errors: serve.not_found
// (also for folders, devices and pipes), serve.outside_root, io errors.
Result<Response> static_file(const std::filesystem::path& root, const std::string& relative);

}  // namespace slm::serve
