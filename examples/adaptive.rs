//! Adaptive strategy switching: a CNN pretrained on digits 0-4 moves to digits 5-9 with few
//! labels, many labels, or a shifted domain (inverted images). Fixed strategies (head only,
//! upper layers, full fine-tuning) against the adaptive controller, which probes each stage,
//! continues with the best and reacts to plateaus, overfitting and degradation; every switch
//! is printed with its reason.
//!
//! `--out DIR` writes each scenario's curves with the switches marked (SVG, seed 0).
//!
//! `cargo run --release -p consort-examples --example adaptive [-- --out DIR]`

use consort_examples::adaptive::{adaptive_over_seeds, switch_chart};
use consort_examples::{f4, print_table};

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let out = consort_examples::out_dir();
    let summary = adaptive_over_seeds(&(0..10).collect::<Vec<u64>>())?;
    let strategies: Vec<String> = summary.means[0].fixed.iter().map(|f| f.0.clone()).collect();
    let mut header = vec!["scenario (seed)"];
    header.extend(strategies.iter().map(String::as_str));
    header.push("adaptive");
    let mut rows = Vec::new();
    for (seed, outcomes) in &summary.runs {
        for o in outcomes {
            let mut row = vec![format!("{} ({seed}, {} rows)", o.name, o.rows)];
            row.extend(o.fixed.iter().map(|f| f4(f.1)));
            row.push(f4(o.adaptive));
            rows.push(row);
        }
    }
    for m in &summary.means {
        let (name, fixed, adaptive) = (&m.name, &m.fixed, &m.adaptive);
        let mut row = vec![format!("{name}: mean")];
        row.extend(fixed.iter().map(|f| f4(f.1)));
        row.push(f4(*adaptive));
        rows.push(row);
    }
    let mut row = vec!["mean over scenarios".to_string()];
    row.extend((0..strategies.len()).map(|k| f4(summary.fixed_average(k))));
    row.push(f4(summary.adaptive_average()));
    rows.push(row);
    println!(
        "test accuracy on digits 5-9 (60 epochs each, a quarter of the rows for validation)\n"
    );
    print_table(&header, &rows);
    println!("\nthe controller's switches, seed 0:");
    for o in &summary.runs[0].1 {
        println!("\n{}:", o.name);
        for s in &o.switches {
            println!("  after epoch {:>2} [{:?}] {}", s.epoch, s.trend, s.reason);
        }
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir).map_err(|e| consort_core::ConsortError::io(&dir, e))?;
        for (i, o) in summary.runs[0].1.iter().enumerate() {
            let path = dir.join(format!("adaptive-{}.svg", i + 1));
            switch_chart(o).write_svg(&path)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
