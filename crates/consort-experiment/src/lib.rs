//! # consort-experiment
//!
//! The experiment as a library: members (each with a [`Role`]), combiners and evaluation,
//! built in code or read from a TOML experiment file, run by [`Experiment::run`]. The
//! `consort` command only parses arguments into an [`ExperimentConfig`]; its default main job
//! is the shipped file `examples/configs/digits.toml`.
//!
//! A run loads and cleans the data ([`prepare()`]: a given test file or a stratified split,
//! missing cells, one-hot text columns, fitted on training rows only), fits every member,
//! predicts each set once and shares those predictions with every combiner and the report,
//! computes out-of-fold predictions once for the learned combiners and for the selection
//! ([`Selection`]), and writes `report.md`, `report.html` and `report.json` (with figures) to a
//! fresh run folder. With `select`, the recommended member or combiner is refitted on all
//! training rows and saved with its preprocessing ([`SavedModel`]), for `consort predict`.
//!
//! ```
//! use consort_experiment::{Experiment, ExperimentConfig};
//!
//! let config = ExperimentConfig::from_toml(
//!     r#"
//!     seed = 3
//!     [data]
//!     embedded = "iris"
//!     [[model]]
//!     name = "mlp"
//!     mlp = { hidden = [32], epochs = 20 }
//!     [[model]]
//!     name = "forest"
//!     forest = { n_trees = 100 }
//!     [[combiner]]
//!     kind = "stacking"
//!     members = "all"
//!     "#,
//!     "in code",
//! )?;                                               // or ExperimentConfig::load(path)?
//! let outcome = Experiment::new(config)?.run()?;    // no `out`: nothing is written to disk
//! println!("{}", outcome.report.table());
//! println!("recommended: {}", outcome.selection.recommended().name);
//! # Ok::<(), consort_core::ConsortError>(())
//! ```

#![warn(missing_docs)]

mod combine;
mod config;
mod figures;
mod member_loader;
mod members;
pub mod model_card;
mod predict;
mod preflight;
mod prepare;
mod prepared;
pub mod recommend;
mod resolve;
mod run;
mod run_dir;
mod saved;
mod sections;
mod selection;
mod stages;
mod text;

pub use config::{
    Categorical, ClassWeight, CnnParams, CombinerKind, CombinerSpec, DataConfig, Delimiter,
    ExperimentConfig, Folds, Fraction, MAIN_JOB_TOML, MemberSet, MlpParams, ModelKind, ModelSpec,
    Role, SequenceParams,
};
pub use predict::{
    PredictOptions, Predictions, default_predictions_path, predict_csv, predict_csv_with,
};
pub use prepare::{Prepared, Preprocessing, TextViews, prepare, prepare_observed, prepare_on};
pub use run::{Experiment, ExperimentOutcome};
pub use saved::SavedModel;
pub use selection::{Candidate, Selection};

#[cfg(test)]
mod readme {
    /// The README's library snippet is this crate's doc test, word for word: what CI runs is
    /// what a reader copies.
    #[test]
    fn the_readme_snippet_is_the_doc_test() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("The same from code")
            .expect("the README's library section");
        let code = &readme[start..];
        let code = &code[code.find("```rust\n").expect("its code block") + 8..];
        let code = &code[..code.find("```").expect("its end")];
        let docs: String = include_str!("lib.rs")
            .lines()
            .skip_while(|l| *l != "//! ```")
            .skip(1)
            .take_while(|l| *l != "//! ```")
            .filter(|l| !l.starts_with("//! #"))
            .map(|l| format!("{}\n", l.strip_prefix("//! ").unwrap_or("")))
            .collect();
        assert_eq!(code, docs);
    }
}
