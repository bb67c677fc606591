# Shared compile options live on an INTERFACE target so every slm target gets
# the same warnings and sanitizer flags.
add_library(slm_options INTERFACE)
target_compile_options(slm_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2)
if(SLM_WERROR)
  target_compile_options(slm_options INTERFACE -Werror)
endif()
if(SLM_SANITIZE)
  target_compile_options(slm_options INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(slm_options INTERFACE -fsanitize=address,undefined)
endif()
