#include "runtime/generate.hpp"

#include "runtime/generator.hpp"

namespace slm::runtime {

std::string_view stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::eos: return "eos";
        case StopReason::max_tokens: return "max_tokens";
        case StopReason::context: return "context";
        case StopReason::cancelled: return "cancelled";
    }
    return "unknown";
}

Result<GenerationResult> generate(const Model& model, const tokenizer::Tokenizer& tokenizer,
                                  std::span<const std::uint32_t> prompt, const GenerateOptions& options,
                                  const TokenCallback& on_token) {
    auto generator = Generator::start(model, tokenizer.eos_id(), prompt, options);
    if (!generator) return generator.take_error();
    for (;;) {
        auto token = generator->next();
        if (!token) return token.take_error();
        if (!*token) return generator->take_result();
        if (on_token && !on_token(**token)) {
            generator->cancel();
            return generator->take_result();
        }
    }
}

}  // namespace slm::runtime
