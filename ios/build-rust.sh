#!/usr/bin/env bash
# Build the Rust core (workvoice-core) for iOS devices and simulators and package it, with the
# uniffi C header and module map, as ios/build/WorkvoiceCoreFFI.xcframework for project.yml.
#
# usage: ios/build-rust.sh            (on a Mac with Xcode and rustup)
# env:   WORKVOICE_ROOT_PUBLIC_KEY    hex of the root public key to build in (required for a
#                                     build given to workers; without it the script stops, and a
#                                     release-profile core would not compile anyway)
#        PROFILE                      cargo profile, default release-small
#
# Run scripts/bindings first: the header and module map come from bindings/swift/uniffi and
# must be generated from the same sources as the library.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile="${PROFILE:-release-small}"
out="$root/ios/build"
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)

if [ -z "${WORKVOICE_ROOT_PUBLIC_KEY:-}" ]; then
  echo "ios/build-rust.sh: WORKVOICE_ROOT_PUBLIC_KEY is not set." >&2
  echo "  Set it to the hex root public key of your deployment (README.md, 'Build the phone apps'):" >&2
  echo "  export WORKVOICE_ROOT_PUBLIC_KEY=\$(cargo run -q -p workvoice-relay --bin workvoice-root -- public-key --key /path/to/root.key)" >&2
  exit 1
fi
for file in workvoice_coreFFI.h workvoice_coreFFI.modulemap workvoice_core.swift; do
  if [ ! -f "bindings/swift/uniffi/$file" ]; then
    echo "ios/build-rust.sh: bindings/swift/uniffi/$file is missing: run scripts/bindings first" >&2
    exit 1
  fi
done

export IPHONEOS_DEPLOYMENT_TARGET=16.0
target_dir="${CARGO_TARGET_DIR:-$root/target}"
for target in "${targets[@]}"; do
  echo "== $target ($profile)" >&2
  cargo rustc -p workvoice-core --lib --profile "$profile" --target "$target" \
    --crate-type staticlib
done

lib() { echo "$target_dir/$1/$profile/libworkvoice_core.a"; }

rm -rf "$out/headers" "$out/ios-simulator" "$out/WorkvoiceCoreFFI.xcframework"
mkdir -p "$out/headers" "$out/ios-simulator"
cp bindings/swift/uniffi/workvoice_coreFFI.h "$out/headers/"
# Inside an XCFramework the module map must be called module.modulemap.
cp bindings/swift/uniffi/workvoice_coreFFI.modulemap "$out/headers/module.modulemap"

# One simulator library for both simulator architectures.
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" \
  -output "$out/ios-simulator/libworkvoice_core.a"

xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$out/headers" \
  -library "$out/ios-simulator/libworkvoice_core.a" -headers "$out/headers" \
  -output "$out/WorkvoiceCoreFFI.xcframework"
echo "ios/build-rust.sh: wrote $out/WorkvoiceCoreFFI.xcframework" >&2
