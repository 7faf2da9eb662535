//! Helpers shared by the examples: a comparison table printed the same way everywhere.
//!
//! Run an example with `cargo run --release -p consort-examples --example <name>`.

/// Prints a Markdown table: a header row, then one row per entry.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
}

/// A score formatted with four decimals.
pub fn f4(x: f64) -> String {
    format!("{x:.4}")
}
