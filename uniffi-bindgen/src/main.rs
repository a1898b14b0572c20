//! `uniffi-bindgen`, pinned to the uniffi version that `workvoice-core` is built with, so the
//! generated bindings always match the library's scaffolding. Used by `scripts/bindings`:
//!
//! ```text
//! uniffi-bindgen generate --library target/debug/libworkvoice_core.so \
//!     --language kotlin --no-format --out-dir bindings/kotlin
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
