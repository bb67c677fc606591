// Every subcommand registers itself on the root app. A command's callback
// stores its exit code in the shared context; main() returns it.
#pragma once

#include <CLI/CLI.hpp>

namespace slmctl {

struct Context {
    int exit_code = 0;
};

using RegisterFn = void (*)(CLI::App& app, Context& ctx);

void register_pack(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);
void register_inspect(CLI::App& app, Context& ctx);
void register_quantize(CLI::App& app, Context& ctx);
void register_adapter(CLI::App& app, Context& ctx);
void register_adapter_apply(CLI::App& app, Context& ctx);
void register_run(CLI::App& app, Context& ctx);
void register_runtime(CLI::App& app, Context& ctx);
void register_tokenize(CLI::App& app, Context& ctx);
void register_import(CLI::App& app, Context& ctx);
void register_export(CLI::App& app, Context& ctx);
void register_eval(CLI::App& app, Context& ctx);
void register_add(CLI::App& app, Context& ctx);
void register_ls(CLI::App& app, Context& ctx);
void register_show(CLI::App& app, Context& ctx);
void register_log(CLI::App& app, Context& ctx);
void register_promote(CLI::App& app, Context& ctx);
void register_rollback(CLI::App& app, Context& ctx);
void register_keygen(CLI::App& app, Context& ctx);
void register_sign(CLI::App& app, Context& ctx);
void register_push(CLI::App& app, Context& ctx);
void register_pull(CLI::App& app, Context& ctx);
void register_serve(CLI::App& app, Context& ctx);
void register_gc(CLI::App& app, Context& ctx);
void register_fsck(CLI::App& app, Context& ctx);

// In the order `slmctl --help` lists them.
inline constexpr RegisterFn k_commands[] = {
    register_pack,
    register_verify,
    register_inspect,
    register_quantize,
    register_adapter,
    register_adapter_apply,
    register_run,
    register_runtime,
    register_tokenize,
    register_import,
    register_export,
    register_eval,
    register_add,
    register_ls,
    register_show,
    register_log,
    register_promote,
    register_rollback,
    register_keygen,
    register_sign,
    register_push,
    register_pull,
    register_serve,
    register_gc,
    register_fsck,
};

}  // namespace slmctl
