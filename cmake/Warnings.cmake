# Strict warnings on project code only; CLUSTERTOP_WERROR turns them into errors (CI does).
function(clustertop_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wconversion -Wno-sign-conversion -Wdouble-promotion -Wformat=2
    -Wimplicit-fallthrough)
  if(CLUSTERTOP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
