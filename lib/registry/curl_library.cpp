#include "registry/curl_library.hpp"

#include <dlfcn.h>

namespace slm::registry {
namespace {

struct Loaded {
    CurlLibrary lib{};
    std::string error;
    bool ok = false;
};

template <typename Fn>
bool bind(void* handle, const char* symbol, Fn& fn, std::string& error) {
    void* p = dlsym(handle, symbol);
    if (p == nullptr) {
        error = std::string("libcurl.so.4 has no ") + symbol;
        return false;
    }
    fn = reinterpret_cast<Fn>(p);
    return true;
}

Loaded load() {
    Loaded l;
    void* handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        l.error = std::string("cannot load libcurl (install the libcurl4 package): ") + (why != nullptr ? why : "");
        return l;
    }
    CurlLibrary& c = l.lib;
    l.ok = bind(handle, "curl_global_init", c.global_init, l.error) &&
           bind(handle, "curl_easy_init", c.easy_init, l.error) &&
           bind(handle, "curl_easy_cleanup", c.easy_cleanup, l.error) &&
           bind(handle, "curl_easy_reset", c.easy_reset, l.error) &&
           bind(handle, "curl_easy_setopt", c.easy_setopt, l.error) &&
           bind(handle, "curl_easy_getinfo", c.easy_getinfo, l.error) &&
           bind(handle, "curl_easy_perform", c.easy_perform, l.error) &&
           bind(handle, "curl_easy_strerror", c.easy_strerror, l.error) &&
           bind(handle, "curl_easy_escape", c.easy_escape, l.error) &&
           bind(handle, "curl_free", c.free, l.error) &&
           bind(handle, "curl_slist_append", c.slist_append, l.error) &&
           bind(handle, "curl_slist_free_all", c.slist_free_all, l.error);
    if (l.ok && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        l.ok = false;
        l.error = "curl_global_init failed";
    }
    return l;  // the handle stays open for the life of the process
}

}  // namespace

const CurlLibrary* curl_library(std::string* why) {
    static const Loaded loaded = load();  // thread-safe, once
    if (!loaded.ok && why != nullptr) *why = loaded.error;
    return loaded.ok ? &loaded.lib : nullptr;
}

}  // namespace slm::registry
