//! The report sections the main job adds beside its table: cross-validation per member and
//! the calibrated cascade with its accuracy / escalation curve.

use consort_core::Result;
use consort_data::Dataset;
use consort_ensemble::{Cascade, Member, OutOfFold};
use consort_eval::{CvScores, Figure, LineChart, MarkdownTable, Section};

pub(crate) fn cross_validation_section(
    members: &[Member],
    oof: &OutOfFold,
    labels: &[usize],
) -> Section {
    let mut table = MarkdownTable::new(&["member", ">accuracy (mean ± sd over folds)"]);
    for (m, member) in members.iter().enumerate() {
        let scores = CvScores::from_folds(oof.fold_accuracies(m, labels));
        table.row([
            member.name.clone(),
            format!("{:.4} ± {:.4}", scores.mean, scores.std),
        ]);
    }
    let body = table.to_markdown();
    Section {
        heading: format!(
            "{}-fold cross-validation on the training split",
            oof.folds.len()
        ),
        body,
    }
}

pub(crate) fn cascade_name(cascade: &Cascade) -> String {
    cascade
        .members()
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// The calibrated cascade's report on the test split and its accuracy / escalation curve.
pub(crate) fn cascade_section(
    cascade: &Cascade,
    tolerance: f64,
    test: &Dataset,
) -> Result<(Section, Figure)> {
    let last = &cascade.members()[cascade.members().len() - 1].name;
    let report = cascade.report(test)?;
    let mut body = format!(
        "{} with max-probability threshold {:.3}, calibrated on out-of-fold predictions to stay \
         within {} point of {}.\n\n",
        cascade_name(cascade),
        cascade.thresholds()[0],
        tolerance * 100.0,
        last
    );
    let mut table = MarkdownTable::new(&[
        "stage",
        ">reached",
        ">answered",
        ">share",
        ">predict (ms)",
        ">MACs/sample",
    ]);
    for s in &report.stages {
        table.row([
            s.name.clone(),
            s.reached.to_string(),
            s.answered.to_string(),
            format!("{:.1}%", s.share_answered * 100.0),
            format!("{:.2}", s.seconds * 1e3),
            s.macs_per_sample.map_or("?".into(), |m| m.to_string()),
        ]);
    }
    body.push_str(&table.to_markdown());
    body.push_str(&format!(
        "\nAccuracy {:.4} vs {:.4} for {} alone; {:.1}% of the test samples escalated; \
         predict time {:.2} ms vs {:.2} ms ({:.0}% saved){}.\n",
        report.accuracy,
        report.last_member_accuracy,
        last,
        report.escalated_to_last * 100.0,
        report.seconds * 1e3,
        report.last_member_seconds * 1e3,
        report.time_saved() * 100.0,
        report.macs_saved().map_or(String::new(), |m| format!(
            "; {:.0}% of the multiply-accumulates saved",
            m * 100.0
        ))
    ));
    let curve = cascade.curve(test, 25)?;
    let figure = Figure {
        file: "cascade.svg".into(),
        caption: format!(
            "Cascade {}: test accuracy against the share escalated, as the threshold varies",
            cascade_name(cascade)
        ),
        chart: LineChart::new(
            format!("Cascade {}", cascade_name(cascade)),
            "share of samples escalated to the large model",
            "test accuracy",
        )
        .with_series(
            cascade_name(cascade),
            curve.iter().map(|p| (p.escalated, p.accuracy)).collect(),
        )
        .into(),
    };
    Ok((
        Section {
            heading: "Cascade: small model first".into(),
            body,
        },
        figure,
    ))
}
