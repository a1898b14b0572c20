//! `type-registry OUTPUT.json`: writes the shapes of every type that crosses the FFI of
//! `workvoice-core` (the same set as its `codegen` step: `HostConfig`, `Event`, `ShellRequest`,
//! `HttpResult`, `ViewModel`, and what they contain), as facet's type registry in JSON.
//!
//! The Python shell has no generated classes; `bindings/python/workvoice_types.py` reads this
//! file and encodes/decodes the FFI's bincode from it, so the Python side follows the Rust types
//! without a hand-written copy of them.
//!
//! The file is an object from type name (`Name`, or `Namespace::Name` outside the root
//! namespace) to its container format, exactly as `facet_generate` serialises it.

use std::path::PathBuf;

use crux_core::type_generation::facet::TypeRegistry;
use workvoice_core::app::{Event, HttpResult, ViewModel};
use workvoice_core::host::{HostConfig, ShellRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: type-registry OUTPUT.json")?;
    let registry = TypeRegistry::new()
        .register_type::<HostConfig>()?
        .register_type::<Event>()?
        .register_type::<ShellRequest>()?
        .register_type::<HttpResult>()?
        .register_type::<ViewModel>()?
        .build()?
        .registry();
    let mut types = serde_json::Map::new();
    for (name, format) in registry {
        let key = name.format(|namespace| namespace.to_string(), "::");
        types.insert(key, serde_json::to_value(&format)?);
    }
    let json = serde_json::to_string_pretty(&serde_json::Value::Object(types))?;
    std::fs::write(&out, json + "\n")?;
    Ok(())
}
