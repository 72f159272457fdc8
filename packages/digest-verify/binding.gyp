{ "targets": [ { "target_name": "digest_verify", "sources": ["src/digest_verify.c"], "cflags": ["-Wall", "-Wextra", "-Werror"] } ] }
