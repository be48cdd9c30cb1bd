{
  "targets": [
    {
      "target_name": "boundless",
      "sources": [
        "native/addon.cc",
        "native/runtime/batch_view.cc",
        "native/runtime/cpu_features.cc",
        "native/runtime/memory_advice.cc",
        "native/runtime/batch_checks_binding.cc",
        "native/runtime/batch_order.cc",
        "native/runtime/batch_order_binding.cc",
        "native/runtime/copy_binding.cc",
        "native/runtime/runtime_info.cc",
        "native/runtime/stderr_capture.cc",
        "native/runtime/thread_pool.cc",
        "native/linalg/linear_algebra.cc",
        "native/linalg/linear_algebra_avx2.cc",
        "native/linalg/linear_algebra_baseline.cc",
        "native/linalg/linear_algebra_binding.cc",
        "native/linalg/panel_product.cc",
        "native/linalg/symmetric_eigen.cc",
        "native/io/bucket_sketch.cc",
        "native/io/bucket_sketch_binding.cc",
        "native/io/document_words.cc",
        "native/io/json_record.cc",
        "native/io/murmur_hash.cc",
        "native/io/number_text.cc",
        "native/io/prediction_lines.cc",
        "native/io/recordio_parser.cc",
        "native/io/stream_parser.cc",
        "native/io/stream_parser_binding.cc",
        "native/io/stop_words.cc",
        "native/io/text_parser.cc",
        "native/io/text_record.cc",
        "native/io/text_tokenizer.cc",
        "native/io/parallel_text_parser.cc",
        "native/io/row_writer.cc",
        "native/io/writer_binding.cc",
        "native/nn/activation.cc",
        "native/nn/batch_norm.cc",
        "native/nn/dense_layer.cc",
        "native/nn/likelihood.cc",
        "native/nn/lstm.cc",
        "native/nn/nn_binding.cc",
        "native/nn/optimizer.cc",
        "native/nn/reparameterization.cc",
        "native/nn/softmax.cc",
        "native/algorithms/deepar/deepar_binding.cc",
        "native/algorithms/deepar/deepar_network.cc",
        "native/algorithms/deepar/deepar_model.cc",
        "native/algorithms/deepar/deepar_model_binding.cc",
        "native/algorithms/deepar/time_features.cc",
        "native/algorithms/factorization_machines/factorization_machines.cc",
        "native/algorithms/factorization_machines/factorization_machines_binding.cc",
        "native/algorithms/kmeans/kmeans.cc",
        "native/algorithms/kmeans/kmeans_binding.cc",
        "native/algorithms/kmeans/kmeans_distance.cc",
        "native/algorithms/kmeans/kmeans_reduce.cc",
        "native/algorithms/kmeans/kmeans_gram.cc",
        "native/algorithms/linear_learner/linear_learner.cc",
        "native/algorithms/linear_learner/linear_learner_binding.cc",
        "native/algorithms/linear_learner/linear_learner_loops.cc",
        "native/algorithms/linear_learner/linear_learner_step_index.cc",
        "native/algorithms/ntm/ntm.cc",
        "native/algorithms/ntm/ntm_binding.cc",
        "native/algorithms/ntm/topic_coherence.cc",
        "native/algorithms/pca/pca.cc",
        "native/algorithms/pca/pca_binding.cc",
        "native/algorithms/pca/pca_projection.cc",
        "native/algorithms/pca/pca_sketch.cc"
      ],
      "include_dirs": ["native", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      # -fno-trapping-math: nothing reads floating-point exception flags, and without it GCC will not
      # turn the selects of branch-free loops (the logistic loss over models) into vector code.
      # Results are unchanged (IEEE arithmetic as before; no -ffast-math).
      # -fno-math-errno: nothing reads errno after sqrt or log, and without it every sqrt carries a
      # branch to set it, which keeps loops such as the optimizers' scalar. Results are unchanged.
      "cflags_cc": ["-std=c++17", "-O3", "-fno-trapping-math", "-fno-math-errno", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
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
