{
  "targets": [
    {
      "target_name": "boundless",
      "sources": [
        "native/addon.cc",
        "native/cpu_features.cc",
        "native/thread_pool.cc",
        "native/runtime_info.cc",
        "native/linear_algebra.cc",
        "native/linear_algebra_baseline.cc",
        "native/linear_algebra_avx2.cc",
        "native/linear_algebra_binding.cc",
        "native/symmetric_eigen.cc",
        "native/linear_learner.cc",
        "native/linear_learner_loops.cc",
        "native/linear_learner_binding.cc",
        "native/memory_advice.cc",
        "native/batch_view.cc",
        "native/kmeans.cc",
        "native/kmeans_binding.cc",
        "native/pca.cc",
        "native/pca_binding.cc",
        "native/pca_sketch.cc",
        "native/panel_product.cc",
        "native/factorization_machines.cc",
        "native/factorization_machines_binding.cc",
        "native/murmur_hash.cc",
        "native/stream_parser.cc",
        "native/text_parser.cc",
        "native/json_record.cc",
        "native/recordio_parser.cc",
        "native/stream_parser_binding.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
