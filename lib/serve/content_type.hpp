// Content-Type by file extension, for the few kinds a web app and the
// registry serve. Unknown extensions are application/octet-stream, which
// together with "X-Content-Type-Options: nosniff" keeps browsers from guessing.
#pragma once

#include <string_view>

namespace slm::serve {

// By the extension of the last path segment, case-insensitively.
std::string_view content_type_for(std::string_view path);

}  // namespace slm::serve
