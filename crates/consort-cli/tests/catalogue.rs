//! The one catalogue of models, walked: every entry of `ModelKind::all()` is fitted through
//! each consumer. The experiment fits it as a `[[model]]` member and scores it above chance
//! on held-out rows (the sequence networks need a text column: the experiment leaves them
//! out here with a note, and `cli.rs`'s text-mode test fits them); `consort search`'s objective
//! runs a trial over one of its tunable parameters; the meta-learner's portfolio names only
//! catalogue models besides its two combiners (and `naive_bayes`, its name for
//! `gaussian_nb`, kept because knowledge bases on disk use it).

use std::path::Path;

use consort_catalog::ModelKind;
use consort_core::ObserverHandle;
use consort_data::embedded;
use consort_experiment::{DataConfig, Experiment, ExperimentConfig};
use consort_hpo::TrialState;
use consort_hpo::study_file::{StudyConfig, run_study};
use consort_meta::selection::{Portfolio, candidate_names};

/// 300 rows of digits (8x8 images, pixel values 0..16: also valid token ids) as CSV.
fn digits_csv(path: &Path) {
    let digits = embedded::digits();
    let mut body: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
    body.push("digit".into());
    let mut text = body.join(",") + "\n";
    for i in 0..300 {
        let row: Vec<String> = digits
            .features()
            .row(i)
            .iter()
            .map(|v| v.to_string())
            .collect();
        text += &format!("{},{}\n", row.join(","), digits.labels()[i]);
    }
    std::fs::write(path, text).unwrap();
}

/// A short run of any network: one or two epochs.
fn short(kind: &ModelKind) -> String {
    match kind {
        ModelKind::Mlp(_) | ModelKind::Cnn(_) => "{ epochs = 2 }".into(),
        ModelKind::Transformer(_) | ModelKind::Lstm(_) => "{ epochs = 1 }".into(),
        ModelKind::Forest(_) => "{ n_trees = 20 }".into(),
        ModelKind::Boosting(_) => "{ max_iter = 20 }".into(),
        ModelKind::AdaBoost(_) => "{ n_estimators = 20 }".into(),
        _ => "{}".into(),
    }
}

#[test]
fn every_catalogue_entry_fits_through_the_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("digits.csv");
    digits_csv(&csv);
    for kind in ModelKind::all() {
        let key = kind.key();
        let toml = format!(
            "folds = 2\n[data]\nembedded = \"iris\"\n[[model]]\nname = \"{key}\"\n{key} = {}\n",
            short(&kind)
        );
        let mut cfg = ExperimentConfig::from_toml(&toml, "catalogue").unwrap();
        cfg.data = DataConfig::csv(&csv);
        let run = Experiment::new(cfg).unwrap().run();
        if kind.reads_tokens() {
            let err = run.unwrap_err().to_string();
            assert!(err.contains("no member can be fitted"), "{key}: {err}");
            continue;
        }
        let run = run.unwrap_or_else(|e| panic!("{key}: {e}"));
        let accuracy = run.report.results[0].metrics.accuracy;
        eprintln!("{key}: test accuracy {accuracy:.3}");
        // Chance is 0.1 on balanced digits; at 75 test rows its standard error is 0.035, so
        // above 0.2 is learning, not luck.
        assert!(accuracy > 0.2, "{key}: accuracy {accuracy} (chance 0.1)");
    }
}

#[test]
fn every_catalogue_entry_runs_a_tuning_trial() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("digits.csv");
    digits_csv(&csv);
    for kind in ModelKind::all() {
        let key = kind.key();
        let params = kind.tunable_params();
        assert!(!params.is_empty(), "{key} has nothing to tune");
        // The first tunable setting, searched around its default (1..3 when unset).
        let name = &params[0];
        let range = match kind.param_value(name) {
            Some(d) if d.fract() == 0.0 => format!(
                "low = {}\nhigh = {}\nint = true",
                (d - 1.0).max(1.0),
                d + 1.0
            ),
            Some(d) => format!("low = {}\nhigh = {}", d / 2.0, d * 2.0),
            None => "low = 1\nhigh = 3\nint = true".into(),
        };
        let study = format!(
            "dataset = {csv:?}\nmodel = \"{key}\"\ntrials = 1\nfolds = 2\nepochs = 20\n\
             [params.{name}]\n{range}\n"
        );
        let file = dir.path().join(format!("{key}.toml"));
        std::fs::write(&file, study).unwrap();
        let config = StudyConfig::load(&file).unwrap_or_else(|e| panic!("{key}: {e}"));
        let done =
            run_study(&config, &ObserverHandle::none()).unwrap_or_else(|e| panic!("{key}: {e}"));
        let trial = &done.trials()[0];
        assert_eq!(trial.state, TrialState::Complete, "{key}: {trial:?}");
        eprintln!(
            "{key}: {name} = {:?}, 2-fold accuracy {:?}",
            trial.params[name], trial.value
        );
        // Chance 0.1 with a standard error of 0.017 over the 300 out-of-fold rows.
        assert!(trial.value.is_some_and(|v| v > 0.15), "{key}: {trial:?}");
    }
}

#[test]
fn the_portfolio_draws_its_models_from_the_catalogue() {
    let keys = ModelKind::keys();
    let portfolio = Portfolio::default();
    for name in candidate_names() {
        portfolio.estimator(name).unwrap();
        // Its two combiners, and its older name for Gaussian naive Bayes.
        let own = ["soft_voting", "stacking", "naive_bayes"].contains(&name);
        assert!(own || keys.contains(&name), "{name} is not a catalogue key");
    }
    assert!(portfolio.estimator("svm").is_err());
}
