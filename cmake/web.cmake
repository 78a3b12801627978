# The web pages (web/, docs/web.md): the files generated for them into ${PROJECT_BINARY_DIR}/web,
# which `childguard serve` serves beside the source tree's web/ (programs/serve/static.c).
#   selfhash_wasm   the self-hashing page's hashing core: programs/wasm/selfhash_core.c and the
#                   library's own src/hash/pdq.c (portable path) compiled by Debian's emscripten
#                   into web/selfhash/cghash.mjs + cghash.wasm (no SIMD) and cghash-simd.mjs +
#                   cghash-simd.wasm (WebAssembly SIMD)
#   web_vendor      the npm modules the pages load (spark-md5, for MD5 in the browser), copied
#                   from node_modules (installed by scripts/install-deps.sh with npm ci)
# Both are part of `all`, so `make build` (and `make test`) build them.
find_program(CG_EMCC emcc)
set(CG_WEB_OUT ${PROJECT_BINARY_DIR}/web)

if(CG_EMCC)
    set(CG_WASM_SOURCES
        ${PROJECT_SOURCE_DIR}/programs/wasm/selfhash_core.c
        ${PROJECT_SOURCE_DIR}/src/hash/pdq.c
        ${PROJECT_SOURCE_DIR}/src/hash/pdq_avx2.c
        ${PROJECT_SOURCE_DIR}/src/common/alloc.c
        ${PROJECT_SOURCE_DIR}/src/common/hex.c
        ${PROJECT_SOURCE_DIR}/src/common/status.c)
    # -ffp-contract=off as the native build of pdq.c (bit-exactness: no fused multiply-add);
    # CG_PDQ_NO_SIMD: the portable path (pdq_avx2.c only supplies its "not usable" stub).
    # Two modules of the same sources: cghash (no SIMD, any browser with WebAssembly) and
    # cghash-simd (-msimd128: the compiler vectorises pdq.c's filter loops into 4-float lanes,
    # each lane the same IEEE operations in the same order, so the same bits). The page picks
    # one at run time (web/selfhash/core.js).
    set(CG_WASM_OUTPUTS)
    foreach(variant cghash cghash-simd)
        set(flags -O3 -ffp-contract=off)
        if(variant STREQUAL "cghash-simd")
            list(APPEND flags -msimd128)
        endif()
        add_custom_command(
            OUTPUT ${CG_WEB_OUT}/selfhash/${variant}.mjs ${CG_WEB_OUT}/selfhash/${variant}.wasm
            COMMAND ${CMAKE_COMMAND} -E make_directory ${CG_WEB_OUT}/selfhash
            COMMAND ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs
                ${CG_EMCC} ${flags} -DCG_BUILDING_LIBRARY -DCG_PDQ_NO_SIMD
                -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/src
                -I${PROJECT_SOURCE_DIR}/programs/wasm ${CG_WASM_SOURCES}
                -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web -sALLOW_MEMORY_GROWTH=1
                -sEXPORT_NAME=createSelfhashCore -sEXPORTED_FUNCTIONS=_cgw_hash_rgba,_malloc,_free
                -o ${CG_WEB_OUT}/selfhash/${variant}.mjs
            DEPENDS ${CG_WASM_SOURCES} ${PROJECT_SOURCE_DIR}/programs/wasm/selfhash_core.h
                ${PROJECT_SOURCE_DIR}/src/hash/pdq_int.h
            COMMENT "emcc: the self-hashing core (WebAssembly, ${variant})"
            VERBATIM)
        list(APPEND CG_WASM_OUTPUTS ${CG_WEB_OUT}/selfhash/${variant}.mjs
            ${CG_WEB_OUT}/selfhash/${variant}.wasm)
    endforeach()
    add_custom_target(selfhash_wasm ALL DEPENDS ${CG_WASM_OUTPUTS})
else()
    message(WARNING "emcc (Debian's emscripten) not found: the self-hashing page's WebAssembly "
        "core is not built and its tests fail; run scripts/install-deps.sh")
endif()

set(CG_SPARK_MD5 ${PROJECT_SOURCE_DIR}/node_modules/spark-md5/spark-md5.min.js)
add_custom_command(
    OUTPUT ${CG_WEB_OUT}/vendor/spark-md5.min.js
    COMMAND ${CMAKE_COMMAND} -E copy ${CG_SPARK_MD5} ${CG_WEB_OUT}/vendor/spark-md5.min.js
    DEPENDS ${CG_SPARK_MD5}
    COMMENT "web: spark-md5 from node_modules"
    VERBATIM)
add_custom_target(web_vendor ALL DEPENDS ${CG_WEB_OUT}/vendor/spark-md5.min.js)

install(DIRECTORY web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/childguard/web)
install(DIRECTORY ${CG_WEB_OUT}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/childguard/web
    OPTIONAL)
