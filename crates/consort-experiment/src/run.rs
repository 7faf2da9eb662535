//! Running an experiment: fit the members, predict each set once, combine, select, report.

use std::path::PathBuf;
use std::sync::Arc;

use consort_core::{ConsortError, EpochHistory, Event, Matrix, ObserverHandle, Result};
use consort_eval::{DataSummary, Report};

use crate::combine::FittedCombiner;
use crate::config::ExperimentConfig;
use crate::figures;
use crate::members::SaveableClassifier;
use crate::model_card::{CardInputs, ModelCard};
use crate::prepare::Prepared;
use crate::run_dir::StagedRun;
use crate::saved::{Chosen, save_selected};
use crate::sections::cross_validation_section;
use crate::selection::Selection;
use crate::stages::{FittedMember, diversity_section};

/// An experiment ready to run: a checked [`ExperimentConfig`] and where its events go.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub(crate) config: ExperimentConfig,
    pub(crate) observer: ObserverHandle,
    /// Every epoch the networks train, for the report's training curves (the observer
    /// given to the networks tells it too).
    pub(crate) history: Arc<EpochHistory>,
    /// The command that started the run, for the model card.
    command_line: Option<Vec<String>>,
}

/// What a run produced.
#[derive(Debug)]
pub struct ExperimentOutcome {
    /// The results (also written as `report.md`, `report.html` and `report.json`).
    pub report: Report,
    /// The fresh run folder (`None` when the config names no `out`: nothing was written).
    pub dir: Option<PathBuf>,
    /// Every candidate's out-of-fold scores and the recommended one.
    pub selection: Selection,
    /// The saved model's folder, when the experiment selects.
    pub saved_model: Option<PathBuf>,
    /// The model card (also written as `model_card.md` and `model_card.json`, in the run
    /// folder and beside the saved model).
    pub card: ModelCard,
}

impl Experiment {
    /// Checks `config` (everything that can be checked before any work).
    pub fn new(config: ExperimentConfig) -> Result<Self> {
        config.validate()?;
        if config.select && config.out.is_none() {
            return Err(ConsortError::param(
                "select",
                true,
                "the saved model needs a folder: set `out` (the run folder is made under it)",
            ));
        }
        if config.select && config.data.text.is_some() {
            return Err(ConsortError::config(
                "select with a text column: saving models of text columns is not supported yet \
                 (their input needs MiniLM at predict time)",
            ));
        }
        let history = Arc::new(EpochHistory::default());
        Ok(Self {
            config,
            observer: ObserverHandle::none().and(history.clone()),
            history,
            command_line: None,
        })
    }

    /// Records the command line that started the run (`std::env::args()`) in the model card,
    /// as the command that repeats it.
    pub fn with_command_line(mut self, args: impl IntoIterator<Item = String>) -> Self {
        self.command_line = Some(args.into_iter().collect());
        self
    }

    /// Sends training, fold and stage events to `observer` (progress bars, logs).
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.observer = observer.into().and(self.history.clone());
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    pub(crate) fn stage(&self, message: String) {
        self.observer.notify(&Event::Stage { message: &message });
    }

    /// Runs the experiment and writes its report (and, with `select`, the saved model) to a
    /// fresh folder under `config.out`: prepare, fit the members, out-of-fold predictions,
    /// combine, select, report.
    pub fn run(&self) -> Result<ExperimentOutcome> {
        let cfg = &self.config;
        let (prepared, backend, staged) = self.prepare()?;
        let Prepared {
            name: data_name,
            train,
            test,
            mut notes,
            preprocessing,
            text,
        } = prepared;
        let estimators = self.estimators(&train, text.as_ref(), &mut notes);
        if estimators.is_empty() {
            return Err(ConsortError::config(
                "no member can be fitted on this data (see the notes above)",
            ));
        }
        let (fitted, mut results) = self.fit_members(&estimators, &train, &test)?;
        let (oof, oof_seconds) = self.out_of_fold(&estimators, &train)?;
        let mut sections = vec![cross_validation_section(
            &fitted.iter().map(|f| f.member.clone()).collect::<Vec<_>>(),
            &oof,
            train.labels(),
        )];
        let mut cascade_figures = Vec::new();
        let mut probas: Vec<Matrix> = fitted.iter().map(|f| f.test_proba.clone()).collect();
        let combiners = self.combiners(&fitted, &oof, &train, &mut notes)?;
        for c in &combiners {
            let (result, proba, cascade) =
                self.evaluate_combiner(c, &fitted, &test, oof_seconds)?;
            if let Some((section, figure)) = cascade {
                sections.push(section);
                cascade_figures.push(figure);
            }
            results.push(result);
            probas.push(proba);
        }
        let selection = self.select(&fitted, &combiners, &oof, &train)?;
        sections.insert(1, selection.section());
        let recommended = selection.recommended().name.clone();
        let figures = figures::all(&figures::Inputs {
            results: &results,
            probas: &probas,
            selection: &selection,
            fitted: &fitted,
            test: &test,
            cascades: cascade_figures,
        })?;
        sections.extend(diversity_section(&fitted)?);
        if let (true, Some(staged)) = (cfg.select, &staged) {
            let model = (&fitted[..], &combiners[..], recommended.as_str());
            let rows = (train.len(), &test, backend);
            notes.push(save_recommended(
                staged.path(),
                model,
                &preprocessing,
                rows,
            )?);
        }
        let report = Report {
            title: format!("Consort run on {data_name}"),
            data: DataSummary::of(&data_name, &train, &test),
            seed: cfg.seed,
            backend: backend.to_string(),
            results,
            sections,
            figures,
            notes,
        };
        let card = ModelCard::of(
            &report,
            &CardInputs {
                config: cfg,
                command_line: self.command_line.as_deref(),
                train: &train,
                test: &test,
                selection: &selection,
            },
        );
        let dir = staged
            .map(|staged| publish(staged, &report, &card, cfg))
            .transpose()?;
        Ok(ExperimentOutcome {
            report,
            saved_model: dir.as_ref().filter(|_| cfg.select).map(|d| d.join("model")),
            dir,
            selection,
            card,
        })
    }
}

/// Saves the recommended candidate (a member or a combiner of `model`) with its preprocessing
/// in `model/` of the run folder `dir`, checked by loading it back onto the run's backend and
/// predicting the test rows; returns the note that says so.
fn save_recommended(
    dir: &std::path::Path,
    (fitted, combiners, recommended): (&[FittedMember], &[FittedCombiner], &str),
    preprocessing: &crate::Preprocessing,
    (train_rows, test, backend): (usize, &consort_data::Dataset, consort_core::BackendKind),
) -> Result<String> {
    let chosen = match fitted.iter().position(|f| f.member.name == recommended) {
        Some(m) => Chosen::Member(m),
        None => Chosen::Combiner(
            combiners
                .iter()
                .find(|c| c.name == recommended)
                .expect("the recommended candidate is a member or a combiner"),
        ),
    };
    let saveables: Vec<Arc<dyn SaveableClassifier>> =
        fitted.iter().map(|f| f.saveable.clone()).collect();
    save_selected(
        &dir.join("model"),
        recommended,
        &saveables,
        chosen,
        preprocessing,
        (test, backend),
    )?;
    Ok(format!(
        "saved {recommended} (fitted on all {train_rows} training rows) to model/ in the run \
         folder with its preprocessing; its test predictions are in predictions.csv there"
    ))
}

/// Writes the report and the model card (beside the saved model too, when there is one) into
/// the staged run folder, then publishes it: the folder appears, whole, under its final name.
fn publish(
    staged: StagedRun,
    report: &Report,
    card: &ModelCard,
    cfg: &ExperimentConfig,
) -> Result<PathBuf> {
    let dir = staged.path();
    report.write_to(dir)?;
    card.write_to(dir, cfg)?;
    if cfg.select {
        card.write_to(&dir.join("model"), cfg)?;
    }
    staged.publish()
}
