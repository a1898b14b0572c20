//! Generates the shell-side types (Swift, Kotlin, C#) of everything that crosses the FFI:
//! `HostConfig`, `Event`, `ShellRequest` (with `ShellEffect`, `HttpRequest`), `HttpResult`
//! and `ViewModel`, with their bincode (de)serialisers.
//!
//! `cargo run -p workvoice-core --features typegen --bin codegen -- [OUTPUT_DIR]`
//! (default `shared/generated`): writes `swift/`, `kotlin/` and `csharp/` there.

use std::path::PathBuf;

use crux_core::type_generation::facet::{Config, TypeRegistry};
use workvoice_core::app::{Event, HttpResult, ViewModel};
use workvoice_core::host::{HostConfig, ShellRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("generated"));
    let generator = TypeRegistry::new()
        .register_type::<HostConfig>()?
        .register_type::<Event>()?
        .register_type::<ShellRequest>()?
        .register_type::<HttpResult>()?
        .register_type::<ViewModel>()?
        .build()?;
    generator.swift(&Config::builder("WorkvoiceTypes", out.join("swift")).build())?;
    generator.kotlin(&Config::builder("org.workvoice.core.types", out.join("kotlin")).build())?;
    generator.csharp(&Config::builder("Workvoice.Types", out.join("csharp")).build())?;
    println!("generated Swift, Kotlin and C# types in {}", out.display());
    Ok(())
}
