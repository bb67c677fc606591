// slmctl serve: a web app folder and the registry's models over HTTP, on the
// loopback interface only (docs/serve.md). The registry is read per request.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "embedded_files.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "registry/resolve.hpp"
#include "registry_args.hpp"
#include "registry_view.hpp"
#include "serve/content_type.hpp"
#include "serve/server.hpp"
#include "serve/static_files.hpp"
#include "serve/url_path.hpp"

namespace slmctl {
namespace {

namespace fs = std::filesystem;
namespace reg = slm::registry;
using slm::serve::Response;
using nlohmann::json;

struct ServeArgs {
    int port = 8080;
    std::string host = "127.0.0.1";
    std::string app;  // empty: $SLM_WEB_DIR, else only the embedded files
    RegistryArgs registry;
    bool json = false;
};

// SIGTERM ends the server like Ctrl-C (InterruptGuard covers SIGINT).
volatile std::sig_atomic_t g_terminated = 0;
extern "C" void on_sigterm(int) { g_terminated = 1; }

class TerminateGuard {
public:
    TerminateGuard() {
        g_terminated = 0;
        struct sigaction action {};
        action.sa_handler = on_sigterm;
        sigemptyset(&action.sa_mask);
        sigaction(SIGTERM, &action, &previous_);
    }
    ~TerminateGuard() { sigaction(SIGTERM, &previous_, nullptr); }
    TerminateGuard(const TerminateGuard&) = delete;
    TerminateGuard& operator=(const TerminateGuard&) = delete;

private:
    struct sigaction previous_ {};
};

std::string app_dir_option(const std::string& option) {
    if (!option.empty()) return option;
    const char* env = std::getenv("SLM_WEB_DIR");
    return env != nullptr ? env : "";
}

Response json_response(const json& value) {
    Response r;
    r.content_type = "application/json";
    r.set_body(value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    return r;
}

Response bytes_response(std::vector<std::uint8_t> bytes, std::string content_type, const std::string& digest) {
    Response r;
    r.content_type = std::move(content_type);
    r.body = std::move(bytes);
    r.headers.emplace_back("X-Slm-Digest", digest);
    r.headers.emplace_back("ETag", "\"" + digest + "\"");
    return r;
}

struct Site {
    fs::path app;  // empty: the embedded files alone
    RegistryArgs registry;
};

// A file built into slmctl (the app, slm.mjs, slm_runtime.wasm), by the name
// its URL path gives; "" is index.html.
std::optional<Response> embedded_response(const std::string& relative) {
    const std::string name = relative.empty() ? "index.html" : relative;
    const auto bytes = embedded_file(name);
    if (bytes.empty()) return std::nullopt;
    Response r;
    r.content_type = std::string(slm::serve::content_type_for(name));
    r.body.assign(bytes.begin(), bytes.end());
    return r;
}

// The app folder's file when there is one (a folder under development wins),
// else the embedded file of that name.
Response app_file(const Site& site, const std::string& relative) {
    if (!site.app.empty()) {
        auto file = slm::serve::static_file(site.app, relative);
        if (file) return std::move(*file);
        // Only "no such file" falls through; a refused path stays refused.
        if (file.error().code != slm::ErrorCode::not_found) return slm::serve::error_response(file.error());
    }
    if (auto embedded = embedded_response(relative)) return std::move(*embedded);
    return slm::serve::error_response(
        slm::make_error(slm::ErrorCode::not_found, "serve.not_found", "/" + relative + ": no such file"));
}

// GET /api/models: every version, by skill name, then in order of addition.
Response api_models(const Site& site, const std::string&) {
    auto registry = open_registry(site.registry, false);
    if (!registry) return slm::serve::error_response(registry.error());
    auto state = registry->read_state();
    if (!state) return slm::serve::error_response(state.error());
    json out = json::array();
    for (const auto& [name, skill] : state->skills) {
        std::vector<const reg::VersionEntry*> versions;
        for (const auto& kv : skill.versions) versions.push_back(&kv.second);
        std::sort(versions.begin(), versions.end(), [](auto* a, auto* b) { return a->added_seq < b->added_seq; });
        for (const auto* v : versions) {
            const json full = version_json(name, skill, *v);
            const std::string ref = full["reference"].get<std::string>();
            out.push_back({{"name", name},
                           {"version", v->version},
                           {"reference", ref},
                           {"digest", v->artifact.digest},
                           {"size", v->artifact.size},
                           {"stage", full["stage"]},
                           {"aliases", full["aliases"]},
                           {"url", "/models/" + ref},
                           {"manifest_url", "/manifests/" + ref}});
        }
    }
    return json_response(out);
}

// The registry (opened now: it may change while serving) and the version
// a reference names. A bare NAME is refused, as in `run`.
struct Found {
    reg::Registry registry;
    reg::ResolvedVersion version;
};

slm::Result<Found> find_version(const Site& site, const std::string& text) {
    auto ref = reg::parse_reference(text);
    if (!ref) return ref.take_error();
    auto registry = open_registry(site.registry, false);
    if (!registry) return registry.take_error();
    auto state = registry->read_state();
    if (!state) return state.take_error();
    auto version = reg::resolve(*state, *ref);
    if (!version) return version.take_error();
    return Found{std::move(*registry), std::move(*version)};
}

// GET /models/REF: the .slm bytes, checked against their digest.
Response model_bytes(const Site& site, const std::string& ref) {
    auto found = find_version(site, ref);
    if (!found) return slm::serve::error_response(found.error());
    const auto& v = found->version;
    if (v.entry.stage == reg::Stage::quarantined)
        return slm::serve::error_response(slm::make_error(
            slm::ErrorCode::incompatible, "registry.quarantined",
            ref + " resolves to " + v.name + ":" + v.entry.version + ", which is quarantined: it is not served"));
    auto bytes = found->registry.blobs().read_verified(v.entry.artifact);
    if (!bytes) return slm::serve::error_response(bytes.error());
    return bytes_response(std::move(*bytes), "application/octet-stream", v.entry.artifact.digest);
}

// GET /manifests/REF: the skill manifest as stored (its SHA-256 is the manifest id).
Response manifest(const Site& site, const std::string& ref) {
    auto found = find_version(site, ref);
    if (!found) return slm::serve::error_response(found.error());
    const auto& config = found->version.entry.config;
    auto bytes = found->registry.blobs().read_verified(config);
    if (!bytes) return slm::serve::error_response(bytes.error());
    return bytes_response(std::move(*bytes), "application/json", config.digest);
}

Response api_unknown(const Site&, const std::string& rest) {
    return slm::serve::error_response(slm::make_error(slm::ErrorCode::not_found, "serve.not_found",
                                                      "/api/" + rest + ": no such API route (expected /api/models)"));
}

struct Route {
    std::string_view prefix;  // of the normalised, decoded path
    bool exact;
    Response (*handle)(const Site&, const std::string& rest);
};

constexpr Route k_routes[] = {
    {"/api/models", true, api_models},
    {"/api/", false, api_unknown},
    {"/models/", false, model_bytes},
    {"/manifests/", false, manifest},
};

Response handle(const Site& site, const slm::serve::Request& request) {
    auto decoded = slm::serve::percent_decode(slm::serve::target_path(request.target));
    if (!decoded) return slm::serve::error_response(decoded.error());
    auto relative = slm::serve::safe_relative_path(*decoded);
    if (!relative) return slm::serve::error_response(relative.error());
    const std::string path = "/" + *relative;
    for (const auto& route : k_routes) {
        if (route.exact ? path == route.prefix : path.starts_with(route.prefix))
            return route.handle(site, path.substr(route.exact ? path.size() : route.prefix.size()));
    }
    return app_file(site, *relative);
}

int run_serve(const ServeArgs& a) {
    auto host = slm::serve::parse_loopback_host(a.host);
    if (!host) {
        slm::Error e = host.take_error();
        e.message = "--host: " + e.message;
        return report_error(e);
    }
    std::error_code ec;
    const std::string app_dir = app_dir_option(a.app);
    Site site{app_dir.empty() ? fs::path() : fs::absolute(app_dir, ec).lexically_normal(), a.registry};
    const std::string registry_root = fs::absolute(reg::default_root(a.registry.root), ec).lexically_normal().string();
    site.registry.root = registry_root;

    auto listener = slm::serve::Listener::bind(*host, static_cast<std::uint16_t>(a.port));
    if (!listener) return report_error(listener.error());
    if (!site.app.empty() && !fs::is_directory(site.app, ec))
        note("slmctl: warning: app folder {} does not exist: only the embedded app is served\n", site.app.string());
    if (embedded_file("slm_runtime.wasm").empty())
        note("slmctl: warning: this slmctl was built without the WebAssembly runtime: /slm_runtime.wasm answers 404\n");
    const std::string app_text = site.app.empty() ? "embedded" : site.app.string() + " (then embedded)";
    if (auto registry = open_registry(site.registry, false); !registry)
        note("slmctl: warning: {} (the registry routes answer with this error until it exists)\n",
             registry.error().message);

    if (a.json)
        fmt::print("{}\n", json{{"url", listener->url()}, {"port", listener->port()}, {"app", site.app.empty() ? json(nullptr) : json(site.app.string())},
                                {"registry", registry_root}}
                               .dump());
    else
        fmt::print("serving {} (app: {}, registry: {})\n", listener->url(), app_text, registry_root);
    std::fflush(stdout);

    InterruptGuard interrupt;
    TerminateGuard terminate;
    slm::serve::ServeOptions options;
    options.stop = [] { return InterruptGuard::requested() || g_terminated != 0; };
    options.log = [](const slm::serve::Exchange& ex) {
        note("{} {} -> {} ({} bytes)\n", ex.method.empty() ? "-" : ex.method, ex.target.empty() ? "-" : ex.target,
             ex.response.status, ex.response.body.size());
    };
    auto served = slm::serve::serve(*listener, [&site](const slm::serve::Request& r) { return handle(site, r); }, options);
    if (!served) return report_error(served.error());
    note("stopped\n");
    return 0;
}

}  // namespace

void register_serve(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand("serve", "Serve a web app folder and the registry's models over HTTP (loopback only)");
    cmd->add_option("--port", a->port, "TCP port (0 picks a free one)")->check(CLI::Range(0, 65535))->capture_default_str();
    cmd->add_option("--host", a->host, "Loopback address to bind: 127.0.0.1, ::1 or localhost")->capture_default_str();
    cmd->add_option("--app", a->app, "Folder of static files served before the embedded app (default: $SLM_WEB_DIR)");
    add_registry_options(cmd, a->registry, false);
    cmd->add_flag("--json", a->json, "Print the start line as JSON (url, port, app, registry)");
    cmd->footer(
        "Routes: / and /FILE (the app folder, then the app, slm.mjs and slm_runtime.wasm built into slmctl), /api/models, /models/REF (.slm bytes), /manifests/REF.\n"
        "GET and HEAD only. Runs until Ctrl-C or SIGTERM, then exits 0.\n"
        "Exit codes: 2 usage (a --host that is not loopback, a privileged port); 6 port in use; 10 socket errors.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_serve(*a); });
}

}  // namespace slmctl
