#include "format/slm_file.hpp"

namespace slm::format {

Result<SlmFile> SlmFile::open(const std::string& path, const ReadOptions& options) {
    auto map = MappedFile::open(path);
    if (!map) return map.take_error();
    auto view = parse_slm(map->bytes(), path, options);
    if (!view) return view.take_error();
    SlmFile f;
    f.map_ = std::move(*map);
    f.view_ = std::move(*view);
    return f;
}

}  // namespace slm::format
