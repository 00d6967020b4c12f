//! Prints the JSON Schema of one usage record, as `schemas/usage-record.json` holds it.
//! `cargo xtask codegen` runs this, so the generator itself never links the models.

fn main() -> Result<(), serde_json::Error> {
    let schema = usage_core::record_json_schema();
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(())
}
