#include "serve/http_response.hpp"

#include <nlohmann/json.hpp>

namespace slm::serve {

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "";
    }
}

int status_for(const Error& error) {
    const std::string& id = error.id;
    if (id == "serve.traversal" || id == "serve.outside_root" || id == "serve.bad_host") return 403;
    if (id == "serve.method") return 405;
    if (id == "serve.timeout") return 408;
    if (id == "serve.head_too_large") return 431;
    if (id == "serve.busy") return 503;
    if (id == "serve.bad_version") return 505;
    if (id.starts_with("serve.") && error.code == ErrorCode::invalid_input) return 400;
    switch (error.code) {
        case ErrorCode::usage: return 400;
        case ErrorCode::not_found: return 404;
        case ErrorCode::incompatible: return 403;
        case ErrorCode::conflict: return 409;
        default: return 500;
    }
}

Response error_response(const Error& error) { return error_response(status_for(error), error); }

Response error_response(int status, const Error& error) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    const nlohmann::json body = {{"error", {{"id", error.id}, {"message", error.message}}}};
    r.set_body(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    return r;
}

std::string serialize_head(const Response& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason_phrase(response.status)) + "\r\n";
    auto field = [&out](std::string_view name, std::string_view value) {
        out.append(name).append(": ").append(value).append("\r\n");
    };
    field("Content-Type", response.content_type);
    field("Content-Length", std::to_string(response.body.size()));
    field("Connection", "close");
    field("X-Content-Type-Options", "nosniff");
    field("Cache-Control", "no-store");
    for (const auto& [name, value] : response.headers) field(name, value);
    out += "\r\n";
    return out;
}

}  // namespace slm::serve
