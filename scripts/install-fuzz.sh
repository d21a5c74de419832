#!/usr/bin/env bash
# Installs cargo-fuzz, which runs the fuzz targets in fuzz/ (`cargo
# +<nightly> fuzz run <target>`, nightly from wasm/rust-toolchain.toml).
# Defines `install_fuzz` for scripts/bootstrap.sh to source and call;
# run directly, it calls it. Idempotent: nothing happens if `cargo fuzz
# --version` already works. cargo-fuzz builds from crates.io with
# `cargo install --locked`; the targets then need a C++ compiler (libFuzzer
# is compiled by the libfuzzer-sys crate) and the pinned nightly, which
# bootstrap.sh installs.

install_fuzz() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if cargo fuzz --version >/dev/null 2>&1; then
    return 0
  fi
  printf '\033[1mbootstrap:\033[0m %s\n' "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
  if ! command -v c++ >/dev/null; then
    echo "install-fuzz: no C++ compiler (c++): the fuzz targets will not build" >&2
    return 1
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  install_fuzz
fi
