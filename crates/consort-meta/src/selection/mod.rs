//! Meta-learned model selection (after auto-sklearn's meta-learned warm start and
//! OpenML-style algorithm selection): describe a dataset by meta-features, look up the
//! datasets of a knowledge base that resemble it, rank the portfolio of the project's members
//! and combiners by how they did there, then on the new dataset cross-validate the top few,
//! keep the best of them (switching from the first pick when a runner-up does better) and
//! record the outcome back into the knowledge base.
//!
//! - [`features`]: meta-features (size, classes, class entropy, feature skew and kurtosis,
//!   binary share, landmarkers: a stump's, 1-NN's and naive Bayes' cross-validated accuracy);
//! - [`portfolio`]: the candidates (logistic regression, tree, forest, gradient boosting,
//!   naive Bayes, k-NN, MLP, soft voting, stacking) and their cross-validated accuracy;
//! - [`knowledge`]: the knowledge base (meta-features and scores per dataset, JSON);
//! - [`selector`]: ranking, try-and-switch, and the leave-one-dataset-out evaluation.

pub mod features;
pub mod knowledge;
pub mod portfolio;
pub mod selector;

use consort_core::Result;
use consort_data::split::stratified_indices;
use consort_data::{Dataset, MissingValues, OneHotEncoder, RawTable};

pub use features::MetaFeatures;
pub use knowledge::{CrossDrawRegret, KnowledgeBase, KnowledgeEntry};
pub use portfolio::{Portfolio, candidate_names};
pub use selector::{LodoReport, MetaSelection, MetaSelector};

/// A table as the portfolio takes it: text columns one-hot encoded, missing numbers replaced
/// by the column median, at most `max_rows` rows (a stratified, seeded subsample: the
/// knowledge base's cost stays bounded on the large sets).
pub fn prepare(table: RawTable, max_rows: usize, seed: u64) -> Result<Dataset> {
    let encoder = OneHotEncoder::fit(&table);
    let data = encoder.encode(table)?.resolve(MissingValues::Median)?;
    if data.len() <= max_rows {
        return Ok(data);
    }
    let fraction = max_rows as f64 / data.len() as f64;
    let (_, keep) = stratified_indices(data.labels(), data.n_classes(), fraction, seed)?;
    Ok(data.subset(&keep))
}
