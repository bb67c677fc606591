// slmctl: one binary, one file per subcommand (cmd_<name>.cpp).
#include <exception>

#include <fmt/core.h>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"slmctl: build, verify, run and release tiny language model skill packages"};
    app.set_version_flag("--version", std::string("slmctl ") + SLM_VERSION);
    app.require_subcommand(1);
    app.fallthrough(false);
    slmctl::Context ctx;
    for (auto register_command : slmctl::k_commands) register_command(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        fmt::print(stderr, "slmctl: error: {}\n", e.what());
        fmt::print(stderr, "Run 'slmctl --help' or 'slmctl <command> --help' for usage.\n");
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "slmctl: internal error: {}\n", e.what());
        return 10;
    }
    return ctx.exit_code;
}
