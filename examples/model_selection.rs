//! Meta-learned model selection on real datasets.
//!
//! `cargo run --release -p consort-examples --example model_selection` evaluates the shipped
//! knowledge base leave-one-dataset-out (the meta-learner's first pick, always taking the
//! candidate best on average, and try-and-switch among the top 3, by regret in accuracy
//! points) and then selects a model for the embedded digits with try-and-switch.
//!
//! `... --example model_selection -- --build` rebuilds the knowledge base from the 36 sets of
//! `consort fetch mlbench modeldata mass kernlab` (one copy left out; each capped at 1,000
//! rows, stratified; every candidate 3-fold cross-validated) and writes
//! `crates/consort-meta/data/knowledge_base.json`.
//!
//! `... --example model_selection -- --noise` runs the portfolio again with cross-validation
//! seeds 1, 2 and 3 (about a minute each) and prints the ceiling those draws set: per
//! dataset, the candidate best in one draw (or in the mean of the other three) scored on
//! another, against always stacking; and stacking's regret on the mean of the four draws,
//! at most what a perfect first pick could gain over it.

use std::path::Path;

use consort_core::{ObserverHandle, Result};
use consort_data::fetch::{Asset, KERNLAB, MASS, MLBENCH, MODELDATA, fetch};
use consort_data::{CsvOptions, MissingValues, embedded, read_table};
use consort_meta::selection::{CrossDrawRegret, KnowledgeBase, MetaSelector, Portfolio, prepare};

/// Rows each corpus set is capped at.
const MAX_ROWS: usize = 1000;

/// MASS's `biopsy` is mlbench's `BreastCancer` (the same 699 Wisconsin biopsies):
/// the corpus holds it once.
const COPIES: [(Asset, &str); 1] = [(Asset::Mass, "biopsy")];

/// The corpus: every classification set of the four Debian packages, in this order, less
/// the copies.
pub fn corpus() -> Result<Vec<(String, consort_data::Dataset)>> {
    let options = CsvOptions {
        keep_text_columns: true,
        missing: MissingValues::Median,
        ..CsvOptions::default()
    };
    let mut sets = Vec::new();
    for (asset, list) in [
        (Asset::Mlbench, &MLBENCH[..]),
        (Asset::Modeldata, &MODELDATA[..]),
        (Asset::Mass, &MASS[..]),
        (Asset::Kernlab, &KERNLAB[..]),
    ] {
        let dir = fetch(asset)?;
        for d in list.iter().filter(|d| !COPIES.contains(&(asset, d.name))) {
            let table = read_table(dir.join(format!("{}.csv", d.name)), &options)?;
            sets.push((d.name.to_string(), prepare(table, MAX_ROWS, 0)?));
        }
    }
    Ok(sets)
}

fn main() -> Result<()> {
    let progress = consort_examples::progress();
    let portfolio = Portfolio::default();
    let kb = if std::env::args().any(|a| a == "--build") {
        let sets = corpus()?;
        let observer = progress.clone();
        let kb = KnowledgeBase::build(&sets, &portfolio, &observer)?;
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/consort-meta/data/knowledge_base.json");
        kb.save(&path)?;
        println!("wrote {} ({} datasets)", path.display(), kb.entries.len());
        kb
    } else {
        KnowledgeBase::builtin()?
    };
    let selector = MetaSelector::default();
    let lodo = selector.leave_one_dataset_out(&kb)?;
    println!(
        "Leave-one-dataset-out over {} datasets (regret: accuracy points below the best candidate)\n",
        lodo.rows.len()
    );
    println!("{}", lodo.to_markdown());

    let digits = embedded::digits();
    let selection = selector.select(&kb, &digits, &portfolio)?;
    println!("Model selection for the embedded digits:\n");
    println!("{}", selection.to_markdown());
    if std::env::args().any(|a| a == "--noise") {
        noise_ceiling(kb, &progress)?;
    }
    Ok(())
}

/// The knowledge base again under cross-validation seeds 1-3, and for every ordered pair of
/// draws the clairvoyant pick's regret against always stacking.
fn noise_ceiling(seed_0: KnowledgeBase, progress: &ObserverHandle) -> Result<()> {
    let sets = corpus()?;
    let mut draws = vec![seed_0];
    for seed in 1..=3 {
        log::info!("portfolio with cross-validation seed {seed} ...");
        let portfolio = Portfolio {
            seed,
            ..Portfolio::default()
        };
        draws.push(KnowledgeBase::build(&sets, &portfolio, progress)?);
    }
    println!(
        "\nThe noise ceiling: per dataset, the candidate best under one draw's cross-validation \
         scored under another's, against always stacking (regret, accuracy points)\n"
    );
    println!("| picked by seed | scored on seed | clairvoyant pick | always stacking |");
    println!("|---:|---:|---:|---:|");
    let (mut pick_total, mut fixed_total, mut pairs) = (0.0, 0.0, 0.0);
    for (i, from) in draws.iter().enumerate() {
        for (j, on) in draws.iter().enumerate().filter(|(j, _)| *j != i) {
            let CrossDrawRegret {
                clairvoyant, fixed, ..
            } = from.cross_draw_regret(on, "stacking");
            println!("| {i} | {j} | {clairvoyant:.2} | {fixed:.2} |");
            pick_total += clairvoyant;
            fixed_total += fixed;
            pairs += 1.0;
        }
    }
    println!(
        "| mean | | {:.2} | {:.2} |",
        pick_total / pairs,
        fixed_total / pairs
    );
    println!(
        "\nWith the dataset's own results from the other three draws averaged (9 folds per \
         candidate):\n\n| scored on seed | clairvoyant pick | always stacking |\n|---:|---:|---:|"
    );
    let (mut pick_total, mut fixed_total) = (0.0, 0.0);
    for (j, on) in draws.iter().enumerate() {
        let others: Vec<&KnowledgeBase> = (0..draws.len())
            .filter(|&i| i != j)
            .map(|i| &draws[i])
            .collect();
        let CrossDrawRegret {
            clairvoyant, fixed, ..
        } = KnowledgeBase::mean_of(&others)?.cross_draw_regret(on, "stacking");
        println!("| {j} | {clairvoyant:.2} | {fixed:.2} |");
        pick_total += clairvoyant;
        fixed_total += fixed;
    }
    let n = draws.len() as f64;
    println!("| mean | {:.2} | {:.2} |", pick_total / n, fixed_total / n);
    let all: Vec<&KnowledgeBase> = draws.iter().collect();
    let mean = KnowledgeBase::mean_of(&all)?;
    let headroom = mean.cross_draw_regret(&mean, "stacking").fixed;
    println!(
        "\nStacking's regret on the mean of all {} draws ({} folds per candidate): {headroom:.2} \
         points, at most what a perfect first pick could gain over always stacking",
        draws.len(),
        3 * draws.len()
    );
    Ok(())
}
