#include "serve/content_type.hpp"

#include <cctype>
#include <string>

namespace slm::serve {
namespace {

struct Entry {
    std::string_view extension;
    std::string_view type;
};

constexpr Entry k_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"json", "application/json"},
    {"css", "text/css"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"txt", "text/plain; charset=utf-8"},
    {"slm", "application/octet-stream"},
};

constexpr std::string_view k_default = "application/octet-stream";

}  // namespace

std::string_view content_type_for(std::string_view path) {
    const std::string_view name = path.substr(path.find_last_of('/') + 1);
    const std::size_t dot = name.find_last_of('.');
    if (dot == std::string_view::npos || dot == 0) return k_default;
    std::string ext(name.substr(dot + 1));
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& e : k_types)
        if (e.extension == ext) return e.type;
    return k_default;
}

}  // namespace slm::serve
