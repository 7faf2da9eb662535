//! Running an experiment: fit the members, predict each set once, combine, select, report.

use std::path::PathBuf;
use std::sync::Arc;

use consort_core::{ConsortError, Event, ObserverHandle, Result};
use consort_eval::{DataSummary, Report};

use crate::config::ExperimentConfig;
use crate::members::SaveableClassifier;
use crate::prepare::Prepared;
use crate::saved::{Chosen, save_selected};
use crate::sections::cross_validation_section;
use crate::selection::Selection;
use crate::stages::{confusion_figure, diversity_section};

/// An experiment ready to run: a checked [`ExperimentConfig`] and where its events go.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub(crate) config: ExperimentConfig,
    pub(crate) observer: ObserverHandle,
}

/// What a run produced.
#[derive(Debug)]
pub struct ExperimentOutcome {
    /// The results (also written as `report.md`, `report.html` and `report.json`).
    pub report: Report,
    /// The fresh run folder.
    pub dir: PathBuf,
    /// Every candidate's out-of-fold scores and the recommended one.
    pub selection: Selection,
    /// The saved model's folder, when the experiment selects.
    pub saved_model: Option<PathBuf>,
}

impl Experiment {
    /// Checks `config` (everything that can be checked before any work).
    pub fn new(config: ExperimentConfig) -> Result<Self> {
        config.validate()?;
        if config.select && config.data.text.is_some() {
            return Err(ConsortError::config(
                "select with a text column: saving models of text columns is not supported yet \
                 (their input needs MiniLM at predict time)",
            ));
        }
        Ok(Self {
            config,
            observer: ObserverHandle::none(),
        })
    }

    /// Sends training, fold and stage events to `observer` (progress bars, logs).
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.observer = observer.into();
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
        let mut figures = Vec::new();
        let combiners = self.combiners(&fitted, &oof, &train, &mut notes)?;
        for c in &combiners {
            let (result, cascade) = self.evaluate_combiner(c, &fitted, &test, oof_seconds)?;
            if let Some((section, figure)) = cascade {
                sections.push(section);
                figures.push(figure);
            }
            results.push(result);
        }
        let selection = self.select(&fitted, &combiners, &oof, &train)?;
        sections.insert(1, selection.section());
        let recommended = selection.recommended().name.clone();
        figures.extend(confusion_figure(&recommended, &results, &train));
        sections.extend(diversity_section(&fitted)?);
        let dir = staged.path().to_path_buf();
        if cfg.select {
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
                &recommended,
                &saveables,
                chosen,
                &preprocessing,
                &test,
            )?;
            notes.push(format!(
                "saved {recommended} (fitted on all {} training rows) to model/ in the run \
                 folder with its preprocessing; its test predictions are in predictions.csv \
                 there",
                train.len(),
            ));
        }
        let report = Report {
            title: format!("Consort run on {data_name}"),
            data: DataSummary {
                name: data_name.clone(),
                samples: train.len() + test.len(),
                features: train.n_features(),
                classes: train.class_names().to_vec(),
                train_samples: train.len(),
                test_samples: test.len(),
            },
            seed: cfg.seed,
            backend: backend.to_string(),
            results,
            sections,
            figures,
            notes,
        };
        report.write_to(&dir)?;
        // Every file is written: the folder appears, whole, under its final name.
        let dir = staged.publish()?;
        Ok(ExperimentOutcome {
            report,
            saved_model: cfg.select.then(|| dir.join("model")),
            dir,
            selection,
        })
    }
}
