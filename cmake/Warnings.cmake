# Warnings for our own targets (not for consumers of the installed library), and the sanitizer
# build, which must cover every target so that ASan sees both sides of each call.
if(ASYNCIO_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

function(asyncio_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(ASYNCIO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
