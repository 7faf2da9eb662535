//! The stages of [`Experiment::run`]: prepare the data, fit the members and predict the test
//! rows once, out-of-fold predictions, build and evaluate the combiners, select, and the
//! report's figures.

use std::sync::Arc;
use std::time::Instant;

use consort_core::seed::derive_seed;
use consort_core::{BackendKind, Classifier, EpochRecord, Matrix, Result};
use consort_data::Dataset;
use consort_ensemble::{ClassifierCandidate, Member, NamedEstimator, OutOfFold, StackingConfig};
use consort_eval::{
    ClassificationMetrics, Disagreement, Figure, ModelFamily, ModelResult, Section,
};

use crate::combine::{self, BuiltCombiner, FittedCombiner, Stage};
use crate::config::{CombinerKind, MemberSet, Role};
use crate::members::{MemberEstimator, SaveableClassifier};
use crate::preflight;
use crate::prepare::{Prepared, prepare_on};
use crate::run::Experiment;
use crate::run_dir::StagedRun;
use crate::sections::{cascade_name, cascade_section};
use crate::selection::{ScoredCombiner, ScoredMember, Selection};

/// A combiner's row of the table, its test probabilities, and a cascade's section and figure.
pub(crate) type EvaluatedCombiner = (ModelResult, Matrix, Option<(Section, Figure)>);

/// A fitted member with its test predictions, computed once and shared.
pub(crate) struct FittedMember {
    pub member: Member,
    pub saveable: Arc<dyn SaveableClassifier>,
    pub family: ModelFamily,
    pub role: Role,
    pub predict_seconds: f64,
    pub test_proba: Matrix,
    pub test_predicted: Vec<usize>,
    /// Every epoch of its final fit (networks; empty for the others).
    pub curve: Vec<EpochRecord>,
}

impl Experiment {
    /// The data read and split, every check that needs no fitting, the backend and the run
    /// folder: an unwritable or wrong `--out` fails here, before any fitting.
    pub(crate) fn prepare(&self) -> Result<(Prepared, BackendKind, Option<StagedRun>)> {
        let cfg = &self.config;
        // Text mode's encoder runs on the run's backend.
        let prepared = prepare_on(&cfg.data, cfg.seed, cfg.backend, &self.observer)?;
        let (train, test) = (&prepared.train, &prepared.test);
        preflight::check_rows(cfg, train, test)?;
        preflight::check_memory(cfg, train, test)?;
        if cfg.select {
            // What the saved model's loader will check, checked before any fitting.
            consort_core::io::Validate::validate(&prepared.preprocessing)?;
        }
        let backend = BackendKind::chosen(cfg.backend)?;
        backend.device()?;
        let staged = cfg
            .out
            .as_ref()
            .map(|out| StagedRun::create(out, &prepared.name, cfg.seed))
            .transpose()?;
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
    pub(crate) fn fit_members(
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
            let epochs_before = self.history.len();
            let start = Instant::now();
            let saveable = est.fit_member(train)?;
            // Members fit one after another: the epochs since are this member's.
            let curve = self
                .history
                .since(epochs_before)
                .into_iter()
                .map(|(_, record)| record)
                .collect();
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
                curve,
            });
        }
        Ok((fitted, results))
    }

    /// Out-of-fold probabilities, once: the learned combiners, the cross-validation table and
    /// the selection all read them. Returns them with the seconds they took.
    pub(crate) fn out_of_fold(
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
    pub(crate) fn evaluate_combiner(
        &self,
        c: &FittedCombiner,
        fitted: &[FittedMember],
        test: &Dataset,
        oof_seconds: f64,
    ) -> Result<EvaluatedCombiner> {
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
        Ok((result, proba, cascade_parts))
    }

    /// Every member's and combiner's nested out-of-fold score, and the recommendation.
    pub(crate) fn select(
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

    pub(crate) fn member_indices(&self, set: &MemberSet, fitted: &[FittedMember]) -> Vec<usize> {
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
    pub(crate) fn combiners(
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

/// How often two members disagree on the test rows (with two members or more).
pub(crate) fn diversity_section(fitted: &[FittedMember]) -> Result<Option<Section>> {
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
