// libFuzzer target: the GGUF reader and the llama importer on arbitrary bytes.
//
// An accepted file must only expose tensor data inside the input (every byte
// is read so ASan sees an escape); when the llama importer accepts it too,
// the result must be a .slm the writer and reader accept.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "interop/gguf_llama.hpp"

using namespace slm;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

volatile std::uint64_t g_sink;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto file = interop::GgufFile::from_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz.gguf");
    if (!file) {
        check(file.error().id.rfind("gguf.", 0) == 0);
        check(file.error().code == ErrorCode::invalid_input || file.error().code == ErrorCode::incompatible);
        return 0;
    }
    std::uint64_t sum = 0;
    for (const auto& t : file->tensors()) {
        const Bytes b = file->tensor_data(t);
        check(b.size() == t.byte_size);
        for (std::uint8_t x : b) sum += x;
    }
    g_sink = sum;

    auto imported = interop::import_gguf_llama(*file);
    if (!imported) {
        check(imported.error().code != ErrorCode::internal);
        return 0;
    }
    auto image = format::write_slm(imported->input);
    // The importer checks shapes, names and values, but e.g. a token longer
    // than the section allows may still be refused here: never as internal.
    if (!image) return 0;
    check(format::parse_slm(*image, "imported.slm").ok());
    return 0;
}
