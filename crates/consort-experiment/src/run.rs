//! Running an experiment: fit the members, predict each set once, combine, select, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use consort_core::seed::derive_seed;
use consort_core::{BackendKind, Classifier, ConsortError, Event, Matrix, ObserverHandle, Result};
use consort_data::Dataset;
use consort_ensemble::{ClassifierCandidate, Member, NamedEstimator, OutOfFold, StackingConfig};
use consort_eval::{
    ClassificationMetrics, DataSummary, Disagreement, Figure, Heatmap, ModelFamily, ModelResult,
    Report, Section,
};

use crate::combine::{self, BuiltCombiner, FittedCombiner, Stage};
use crate::config::{CombinerKind, ExperimentConfig, MemberSet, Role};
use crate::members::{MemberEstimator, SaveableClassifier};
use crate::preflight;
use crate::prepare::{Prepared, prepare_observed};
use crate::run_dir::StagedRun;
use crate::saved::{Chosen, save_selected};
use crate::sections::{cascade_name, cascade_section, cross_validation_section};
use crate::selection::{ScoredCombiner, ScoredMember, Selection};

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

/// A fitted member with its test predictions, computed once and shared.
struct FittedMember {
    member: Member,
    saveable: Arc<dyn SaveableClassifier>,
    family: ModelFamily,
    role: Role,
    predict_seconds: f64,
    test_proba: Matrix,
    test_predicted: Vec<usize>,
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

    fn stage(&self, message: String) {
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

    /// The data read and split, every check that needs no fitting, the backend and the run
    /// folder: an unwritable or wrong `--out` fails here, before any fitting.
    fn prepare(&self) -> Result<(Prepared, BackendKind, StagedRun)> {
        let cfg = &self.config;
        let prepared = prepare_observed(&cfg.data, cfg.seed, &self.observer)?;
        let (train, test) = (&prepared.train, &prepared.test);
        preflight::check_rows(cfg, train, test)?;
        preflight::check_memory(cfg, train, test)?;
        if cfg.select {
            // What the saved model's loader will check, checked before any fitting.
            consort_core::io::Validate::validate(&prepared.preprocessing)?;
        }
        let backend = BackendKind::chosen(cfg.backend)?;
        backend.device()?;
        let staged = StagedRun::create(&cfg.out, &prepared.name, cfg.seed)?;
        self.stage(format!(
            "consort: {} ({} samples, {} features, {} classes), seed {}, networks on {backend}",
            prepared.name,
            train.len() + test.len(),
            train.n_features(),
            train.n_classes(),
            cfg.seed
        ));
        Ok((prepared, backend, staged))
    }

    /// Every member fitted on the training rows and asked for its test predictions once.
    fn fit_members(
        &self,
        estimators: &[MemberEstimator],
        train: &Dataset,
        test: &Dataset,
    ) -> Result<(Vec<FittedMember>, Vec<ModelResult>)> {
        let total = estimators.len();
        let mut results = Vec::new();
        let mut fitted = Vec::new();
        for (i, est) in estimators.iter().enumerate() {
            let name = &est.spec.name;
            self.stage(format!("[{}/{total}] fitting {name} ...", i + 1));
            let start = Instant::now();
            let saveable = est.fit_member(train)?;
            let fit_seconds = start.elapsed().as_secs_f64();
            let model: Arc<dyn Classifier> = saveable.clone();
            let start = Instant::now();
            let (test_proba, test_predicted) = model.predict_with_proba(test.features())?;
            let predict_seconds = start.elapsed().as_secs_f64();
            let family = if est.spec.kind.is_network() {
                ModelFamily::Large
            } else {
                ModelFamily::Small
            };
            let metrics =
                ClassificationMetrics::compute(test.labels(), &test_proba, Some(&test_predicted))?;
            self.stage(format!(
                "[{}/{total}] {name}: accuracy {:.4} ({fit_seconds:.1}s)",
                i + 1,
                metrics.accuracy
            ));
            results.push(ModelResult {
                name: name.clone(),
                family,
                metrics,
                fit_seconds,
                predict_seconds,
            });
            fitted.push(FittedMember {
                member: Member::new(name, model),
                saveable,
                family,
                role: est.spec.role,
                predict_seconds,
                test_proba,
                test_predicted,
            });
        }
        Ok((fitted, results))
    }

    /// Out-of-fold probabilities, once: the learned combiners, the cross-validation table and
    /// the selection all read them. Returns them with the seconds they took.
    fn out_of_fold(
        &self,
        estimators: &[MemberEstimator],
        train: &Dataset,
    ) -> Result<(OutOfFold, f64)> {
        let cfg = &self.config;
        let stacking = StackingConfig {
            folds: cfg.folds.get(),
            seed: derive_seed(cfg.seed, "folds"),
            observer: self.observer.clone(),
            ..Default::default()
        };
        self.stage(format!(
            "out-of-fold predictions ({} folds x {} members) for the learned combiners and the \
             selection ...",
            cfg.folds.get(),
            estimators.len()
        ));
        let start = Instant::now();
        let candidates: Vec<ClassifierCandidate> = estimators
            .iter()
            .map(|e| NamedEstimator::new(&e.spec.name, Box::new(e.clone()) as Box<_>))
            .collect();
        let oof = OutOfFold::compute(&candidates, &stacking, train)?;
        Ok((oof, start.elapsed().as_secs_f64()))
    }

    /// A combiner's test result from its members' shared predictions; a cascade also runs
    /// for real and brings its section and figure.
    fn evaluate_combiner(
        &self,
        c: &FittedCombiner,
        fitted: &[FittedMember],
        test: &Dataset,
        oof_seconds: f64,
    ) -> Result<(ModelResult, Option<(Section, Figure)>)> {
        let spec = &self.config.combiners[c.spec];
        let start = Instant::now();
        let probas: Vec<Matrix> = c
            .members
            .iter()
            .map(|&m| fitted[m].test_proba.clone())
            .collect();
        let (proba, predicted) = c.built.get().combine(&probas, test.features())?;
        let shared_seconds: f64 = c.members.iter().map(|&m| fitted[m].predict_seconds).sum();
        let mut predict_seconds = shared_seconds + start.elapsed().as_secs_f64();
        let mut cascade_parts = None;
        if let BuiltCombiner::Cascade(cascade) = &c.built {
            // A cascade's point is the time it saves: run it for real (later stages on the
            // escalated rows only) and report that time.
            let start = Instant::now();
            let run = cascade.run(test.features())?;
            predict_seconds = start.elapsed().as_secs_f64();
            debug_assert_eq!(run.proba, proba);
            let tolerance = spec.tolerance.unwrap_or(0.005);
            cascade_parts = Some(cascade_section(cascade, tolerance, test)?);
        }
        // Weights and stacking cost the out-of-fold pass; a cascade's fit is its threshold
        // search (instant), the votes fit nothing.
        let fit_seconds = match spec.kind {
            CombinerKind::WeightedAverage | CombinerKind::Stacking => oof_seconds,
            _ => 0.0,
        };
        let result = ModelResult {
            name: c.name.clone(),
            family: ModelFamily::Ensemble,
            metrics: ClassificationMetrics::compute(test.labels(), &proba, Some(&predicted))?,
            fit_seconds,
            predict_seconds,
        };
        self.stage(format!(
            "{}: accuracy {:.4}",
            c.name, result.metrics.accuracy
        ));
        Ok((result, cascade_parts))
    }

    /// Every member's and combiner's nested out-of-fold score, and the recommendation.
    fn select(
        &self,
        fitted: &[FittedMember],
        combiners: &[FittedCombiner],
        oof: &OutOfFold,
        train: &Dataset,
    ) -> Result<Selection> {
        let members: Vec<ScoredMember<'_>> = fitted
            .iter()
            .map(|f| ScoredMember {
                member: &f.member,
                family: f.family,
                role: f.role,
            })
            .collect();
        let combiners: Vec<ScoredCombiner<'_>> = combiners
            .iter()
            .map(|c| {
                let spec = &self.config.combiners[c.spec];
                ScoredCombiner {
                    spec,
                    name: c.name.clone(),
                    members: self.member_indices(&spec.members, fitted),
                }
            })
            .collect();
        Selection::compute(&members, &combiners, oof, train)
    }

    fn member_indices(&self, set: &MemberSet, fitted: &[FittedMember]) -> Vec<usize> {
        (0..fitted.len())
            .filter(|&i| match set {
                MemberSet::All => true,
                MemberSet::Large => fitted[i].family == ModelFamily::Large,
                MemberSet::Small => fitted[i].family == ModelFamily::Small,
                MemberSet::Named(names) => names.contains(&fitted[i].member.name),
            })
            .collect()
    }

    /// Every combiner, built from the members' out-of-fold probabilities on all training
    /// rows; one that does not apply (too few members, no cheap member) is left out with a
    /// note.
    fn combiners(
        &self,
        fitted: &[FittedMember],
        oof: &OutOfFold,
        train: &Dataset,
        notes: &mut Vec<String>,
    ) -> Result<Vec<FittedCombiner>> {
        let mut out = Vec::new();
        for (spec_index, spec) in self.config.combiners.iter().enumerate() {
            let name = spec.display_name();
            let idx = self.member_indices(&spec.members, fitted);
            if idx.len() < 2 {
                notes.push(format!(
                    "{name} skipped: it needs at least 2 of its members, {} fitted",
                    idx.len()
                ));
                continue;
            }
            let stages: Vec<Stage<'_>> = idx
                .iter()
                .map(|&m| Stage {
                    member: &fitted[m].member,
                    role: fitted[m].role,
                    held_out: &oof.probas[m],
                })
                .collect();
            match combine::build(spec, &stages, train)? {
                Ok((built, used)) => {
                    let members: Vec<usize> = used.iter().map(|&i| idx[i]).collect();
                    let name = match (&built, &spec.name) {
                        (BuiltCombiner::Cascade(c), None) => {
                            format!("cascade ({})", cascade_name(c))
                        }
                        _ => name,
                    };
                    if let BuiltCombiner::Average(avg) = &built
                        && spec.kind == CombinerKind::WeightedAverage
                    {
                        let weights: Vec<String> = members
                            .iter()
                            .zip(avg.weights())
                            .map(|(&m, w)| format!("{} {w:.3}", fitted[m].member.name))
                            .collect();
                        notes.push(format!(
                            "{name}: weights fitted on out-of-fold log-loss: {}",
                            weights.join(", ")
                        ));
                    }
                    out.push(FittedCombiner {
                        name,
                        spec: spec_index,
                        built,
                        members,
                    });
                }
                Err(reason) => notes.push(format!("{name} skipped: {reason}")),
            }
        }
        Ok(out)
    }
}

/// The recommended candidate's confusion matrix on the test rows.
fn confusion_figure(recommended: &str, results: &[ModelResult], train: &Dataset) -> Option<Figure> {
    let r = results.iter().find(|r| r.name == recommended)?;
    Some(Figure {
        file: "confusion.svg".into(),
        caption: format!(
            "Confusion matrix of {recommended} (recommended by cross-validation) on the test rows"
        ),
        chart: Heatmap::confusion(
            format!("{recommended}: test confusion matrix"),
            train.class_names(),
            &r.metrics.confusion,
        )
        .into(),
    })
}

/// How often two members disagree on the test rows (with two members or more).
fn diversity_section(fitted: &[FittedMember]) -> Result<Option<Section>> {
    if fitted.len() < 2 {
        return Ok(None);
    }
    let predictions: Vec<Vec<usize>> = fitted.iter().map(|f| f.test_predicted.clone()).collect();
    let diversity = Disagreement::compute(
        fitted.iter().map(|f| f.member.name.clone()).collect(),
        &predictions,
    )?;
    Ok(Some(Section {
        heading: "Member diversity (share of test samples on which two members disagree)".into(),
        body: format!(
            "{}\nMean pairwise disagreement: {:.3}.",
            diversity.to_markdown(),
            diversity.mean()
        ),
    }))
}
