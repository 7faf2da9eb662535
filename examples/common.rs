//! Helpers shared by the examples: a comparison table printed the same way everywhere, and the
//! fixed IMDB subsets of the text examples.
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

/// Where an example's long jobs report: the `consort` command's progress bars (on a terminal)
/// and stage lines on standard error; `-q` on the example's command line silences them, `-v`
/// adds a line per epoch.
pub fn progress() -> consort_core::ObserverHandle {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let level = if has("-q") || has("--quiet") {
        log::LevelFilter::Warn
    } else if has("-v") || has("--verbose") {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    };
    consort_cli::progress::init_logging(level);
    if level == log::LevelFilter::Warn {
        consort_core::ObserverHandle::none()
    } else {
        consort_core::ObserverHandle::new(std::sync::Arc::new(
            consort_cli::progress::ProgressBars::new(),
        ))
    }
}

/// Where the shared scenarios (also run by the tests) report their long steps: the progress
/// bars once an example's `main` has called [`progress`] (the logger is on), nothing in a
/// test (no logger).
pub fn observer() -> consort_core::ObserverHandle {
    if log::max_level() >= log::LevelFilter::Info {
        consort_core::ObserverHandle::new(std::sync::Arc::new(
            consort_cli::progress::ProgressBars::new(),
        ))
    } else {
        consort_core::ObserverHandle::none()
    }
}

/// The backend an example's networks run on: `--backend NAME` on its command line (flex,
/// ndarray or wgpu, where compiled in), else `CONSORT_BACKEND`, else the first CPU backend.
pub fn backend() -> consort_core::Result<consort_core::BackendKind> {
    let args: Vec<String> = std::env::args().collect();
    let given = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .map(|name| name.parse())
        .transpose()?;
    consort_core::BackendKind::chosen(given)
}

/// A score formatted with four decimals.
pub fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// The folder given after `--out` on the command line, if any (where examples write figures).
pub fn out_dir() -> Option<std::path::PathBuf> {
    std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .map(std::path::PathBuf::from)
}

/// The first `per_class` reviews of each class of one IMDB file (`train.csv` or `test.csv`,
/// fetched on first use by `consort fetch imdb`), `<br />` tags replaced by spaces: a fixed,
/// balanced subset sized for 2 CPU cores.
pub fn imdb_subset(
    file: &str,
    per_class: usize,
) -> consort_core::Result<consort_data::TextDataset> {
    let imdb = consort_data::fetch::fetch(consort_data::fetch::Asset::Imdb)?;
    let data = consort_data::read_text_csv(
        imdb.join(file),
        &consort_data::LabelColumn::Name("text".into()),
        &consort_data::LabelColumn::Name("label".into()),
        b',',
    )?;
    let mut taken = vec![0; data.class_names.len()];
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (t, &l) in data.texts.iter().zip(&data.labels) {
        if taken[l] < per_class {
            taken[l] += 1;
            texts.push(t.replace("<br />", " "));
            labels.push(l);
        }
    }
    Ok(consort_data::TextDataset {
        texts,
        labels,
        class_names: data.class_names,
    })
}

/// Logistic regression on a CNN's penultimate features: the small model classifying on what
/// the large one extracted (the image application's "features + small model").
pub struct OnCnnFeatures {
    /// The trained CNN (its penultimate layer gives the features).
    pub cnn: std::sync::Arc<consort_models::NetworkClassifier<consort_models::Cnn>>,
    /// The classifier fitted on those features.
    pub head: consort_models::LogisticRegression,
}

impl consort_core::Classifier for OnCnnFeatures {
    fn n_classes(&self) -> usize {
        self.head.n_classes()
    }

    fn n_features(&self) -> usize {
        self.cnn.n_features()
    }

    fn predict_proba(
        &self,
        x: &consort_core::Matrix,
    ) -> consort_core::Result<consort_core::Matrix> {
        self.head.predict_proba(&self.cnn.features(x)?)
    }
}

#[path = "scenarios/fused_supervision.rs"]
pub mod fused_supervision;

#[path = "scenarios/fused_sentiment.rs"]
pub mod fused_sentiment;

#[path = "scenarios/weight_averaging.rs"]
pub mod weight_averaging;

#[path = "scenarios/adaptive.rs"]
pub mod adaptive;

#[path = "scenarios/multimodal.rs"]
pub mod multimodal;
