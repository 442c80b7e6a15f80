//! `cargo run -p portcullis-codegen`: rewrites `crates/protocol/src/generated/` from the
//! vendored botocore models, formatted with rustfmt.

fn main() -> std::io::Result<()> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol");
    for spec in portcullis_codegen::SPECS {
        let model = std::fs::read_to_string(format!("{root}/data/{}", spec.model_file))?;
        let code = portcullis_codegen::format(&portcullis_codegen::generate(spec, &model))?;
        let path = format!("{root}/src/generated/{}", spec.output_file);
        std::fs::write(&path, code)?;
        println!("wrote {path}");
    }
    Ok(())
}
