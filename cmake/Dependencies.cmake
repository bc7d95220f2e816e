# One interface target carries every third-party dependency, all from Debian packages.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(libssh REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
set(CURSES_NEED_NCURSES TRUE)
set(CURSES_NEED_WIDE TRUE)
find_package(Curses REQUIRED)

add_library(clustertop_deps INTERFACE)
target_link_libraries(clustertop_deps INTERFACE
  fmt::fmt nlohmann_json::nlohmann_json CLI11::CLI11 tomlplusplus::tomlplusplus
  ssh PkgConfig::PCRE2 ${CURSES_LIBRARIES} Threads::Threads)
# System headers: their warnings are not ours to fix.
target_include_directories(clustertop_deps SYSTEM INTERFACE ${CURSES_INCLUDE_DIRS})
target_compile_definitions(clustertop_deps INTERFACE PCRE2_CODE_UNIT_WIDTH=8)

if(CLUSTERTOP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CLUSTERTOP_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
