# Compiles every schemas/*.json into the library so the binary validates
# against exactly the schemas shipped in the repository.
function(slm_embed_schemas out_file)
  file(GLOB schema_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schemas/*.json)
  set(body "// Generated from schemas/*.json by cmake/EmbedSchemas.cmake. Do not edit.\n#include \"package/schemas.hpp\"\n\nnamespace slm::package {\n\nstd::string_view embedded_schema(std::string_view name) {\n")
  foreach(f IN LISTS schema_files)
    get_filename_component(name ${f} NAME)
    file(READ ${f} content)
    string(APPEND body "    if (name == \"${name}\") return R\"slmschema(${content})slmschema\";\n")
  endforeach()
  string(APPEND body "    return {};\n}\n\n}  // namespace slm::package\n")
  file(CONFIGURE OUTPUT ${out_file} CONTENT "${body}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${schema_files})
endfunction()
