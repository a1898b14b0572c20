//! Writes `proto/vectors/{valid,invalid}/*.json` from the deterministic fixture.
//!
//! `cargo run -p workvoice-proto --example gen-vectors`

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors");
    for sub in ["valid", "invalid"] {
        let dir = root.join(sub);
        if dir.exists() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "json") {
                    std::fs::remove_file(path)?;
                }
            }
        }
        std::fs::create_dir_all(&dir)?;
    }
    let vectors = workvoice_proto::vectors::generate();
    for (valid, name, vector) in &vectors {
        let path = root
            .join(if *valid { "valid" } else { "invalid" })
            .join(format!("{name}.json"));
        let mut text = serde_json::to_string_pretty(vector).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(path, text)?;
    }
    println!("wrote {} vectors under {}", vectors.len(), root.display());
    Ok(())
}
