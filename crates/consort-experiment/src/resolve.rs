//! Resolving an experiment's `[[model]]` entries against the data: the member estimators
//! that apply (a CNN needs an image, sequence networks need a text column), with their
//! seeds, backend, epochs, class weights and views, and a note for each one left out.

use consort_data::Dataset;

use crate::config::{ClassWeight, ModelKind, ModelSpec};
use crate::members::{MemberEstimator, NetworkSettings};
use crate::preflight;
use crate::prepare::TextViews;
use crate::run::Experiment;

impl Experiment {
    /// The member estimators, resolved against the data; members that cannot apply (a CNN
    /// on features that are not an image) are left out with a note.
    pub(crate) fn estimators(
        &self,
        train: &Dataset,
        text: Option<&TextViews>,
        notes: &mut Vec<String>,
    ) -> Vec<MemberEstimator> {
        let cfg = &self.config;
        let balanced = cfg.data.class_weight == ClassWeight::Balanced;
        let mut specs = cfg.models.clone();
        if text.is_some() && !specs.iter().any(|m| m.kind.reads_tokens()) {
            // Text mode trains the sequence networks on the word-piece ids unless the file
            // lists its own.
            for key in ["transformer", "lstm"] {
                let kind = ModelKind::from_key(key).expect("a catalogue entry");
                specs.push(ModelSpec::new(format!("{key} (from scratch)"), kind));
            }
        }
        let fit_rows = preflight::smallest_fit_rows(cfg, train.len());
        for spec in &mut specs {
            preflight::clamp_neighbours(spec, fit_rows, notes);
        }
        let mut out: Vec<MemberEstimator> = Vec::new();
        for spec in &specs {
            let Some((view, image)) = placement(spec, train, text, notes) else {
                continue;
            };
            let key = spec.kind.key();
            let seed_label = if out.iter().any(|e| e.spec.kind.key() == key) {
                format!("{key}/{}", spec.name)
            } else {
                key.to_string()
            };
            out.push(MemberEstimator {
                spec: spec.clone(),
                seed_label,
                network: NetworkSettings {
                    seed: cfg.seed,
                    backend: cfg.backend,
                    epochs: cfg.epochs,
                    observer: self.observer.clone(),
                },
                balanced,
                image,
                view,
                vocab_size: text.map_or(0, |v| v.vocab_size),
            });
        }
        for e in &out {
            if let Some((planned, own)) = e.planned_epochs(train.len())
                && planned < own
            {
                notes.push(format!(
                    "{}: {planned} epochs instead of {own}, its budget of optimiser steps \
                     (max_steps) at {} training rows",
                    e.spec.name,
                    train.len()
                ));
            }
        }
        if balanced {
            notes.push(balanced_note(&out));
        }
        out
    }
}

/// Where a member reads: its block of columns (`None`: all) and a CNN's image shape.
type Placement = (Option<std::ops::Range<usize>>, Option<(usize, usize)>);

/// The columns a member reads (text mode: the token ids or the embeddings) and a CNN's image
/// shape; `None`, with a note, when the member cannot apply to this data.
fn placement(
    spec: &ModelSpec,
    train: &Dataset,
    text: Option<&TextViews>,
    notes: &mut Vec<String>,
) -> Option<Placement> {
    let view = match (text, spec.kind.reads_tokens()) {
        (Some(v), true) => Some(v.tokens.clone()),
        (Some(_), false) if matches!(spec.kind, ModelKind::Cnn(_)) => {
            notes.push(format!(
                "{} skipped: a text column is not an image",
                spec.name
            ));
            return None;
        }
        (Some(v), false) => Some(v.embedding.clone()),
        (None, true) => {
            notes.push(format!(
                "{} skipped: it reads word-piece ids of a text column ([data] text)",
                spec.name
            ));
            return None;
        }
        (None, false) => None,
    };
    let image = match &spec.kind {
        ModelKind::Cnn(p) => match p.image_shape(train.n_features()) {
            Some(hw) => Some(hw),
            None => {
                notes.push(format!(
                    "{} skipped: {} features do not form a square image of at least 4x4 (set \
                     height and width)",
                    spec.name,
                    train.n_features()
                ));
                return None;
            }
        },
        _ => None,
    };
    Some((view, image))
}

/// Which members balanced class weights reach, and which they do not.
fn balanced_note(members: &[MemberEstimator]) -> String {
    let (weighted, not): (Vec<&MemberEstimator>, Vec<&MemberEstimator>) =
        members.iter().partition(|e| e.takes_weights());
    let names = |v: &[&MemberEstimator]| {
        v.iter()
            .map(|e| e.spec.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "balanced class weights: networks draw batches by them, the others weight their loss or \
         statistics ({}){}",
        names(&weighted),
        if not.is_empty() {
            format!(
                "; fitted unweighted (they take no sample weights): {}",
                names(&not)
            )
        } else {
            String::new()
        }
    )
}
