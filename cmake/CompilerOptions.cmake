# Shared compile options live on an INTERFACE target so every slm target gets
# the same warnings and sanitizer flags.
add_library(slm_options INTERFACE)
target_compile_options(slm_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports false positives inside libstdc++ (vector/string inserts)
  # at -O2/-O3 with these four (GCC bugs 105651, 105329, 106199).
  target_compile_options(slm_options INTERFACE -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread -Wno-restrict)
endif()
if(SLM_WERROR)
  target_compile_options(slm_options INTERFACE -Werror)
endif()
if(SLM_SANITIZE)
  target_compile_options(slm_options INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # With the sanitizers at -O1, GCC 12 also flags std::function copies
    # inside libstdc++'s <regex> as maybe-uninitialized (a false positive).
    target_compile_options(slm_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  # Not position-independent: a PIE build applies millions of dynamic
  # relocations of sanitizer metadata at every process start, and the
  # registry suites start thousands of processes.
  target_link_options(slm_options INTERFACE -fsanitize=address,undefined -no-pie)
endif()
