//! Reports render and round-trip.

use consort_core::Matrix;
use consort_eval::{
    ClassificationMetrics, DataSummary, Figure, LineChart, ModelFamily, ModelResult, Report,
    Section,
};

fn report() -> Report {
    let y = [0, 1, 1, 0];
    let good = Matrix::from_rows(&[[0.9f32, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]]).unwrap();
    let bad = Matrix::from_rows(&[[0.4f32, 0.6], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]]).unwrap();
    let row = |name: &str, family, p: &Matrix| ModelResult {
        name: name.into(),
        family,
        metrics: ClassificationMetrics::compute(&y, p, None).unwrap(),
        fit_seconds: 0.5,
        predict_seconds: 0.002,
    };
    Report {
        title: "Test run".into(),
        data: DataSummary {
            name: "toy".into(),
            samples: 8,
            features: 2,
            classes: vec!["no".into(), "yes".into()],
            train_samples: 4,
            test_samples: 4,
        },
        seed: 3,
        backend: "flex".into(),
        results: vec![
            row("tree", ModelFamily::Small, &bad),
            row("mlp", ModelFamily::Large, &good),
            row("vote", ModelFamily::Ensemble, &bad),
        ],
        notes: vec!["cnn skipped: features are not an image".into()],
        sections: vec![Section {
            heading: "Cascade".into(),
            body: "tree answered 60% of the samples.".into(),
        }],
        figures: vec![Figure {
            file: "curve.svg".into(),
            caption: "Accuracy against escalation".into(),
            chart: LineChart::new("curve", "escalated", "accuracy")
                .with_series("tree -> mlp", vec![(0.0, 0.75), (1.0, 1.0)])
                .into(),
        }],
    }
}

#[test]
fn markdown_has_the_table_best_model_and_notes() {
    let r = report();
    assert_eq!(r.best().unwrap().name, "mlp");
    let md = r.to_markdown();
    assert!(md.contains("| mlp | large | **1.0000** |  |"), "{md}");
    assert!(md.contains("| tree | small | 0.7500 |  |"), "{md}");
    // Ensembles are compared with the best single model, in points.
    assert!(md.contains("| vote | ensemble | 0.7500 | -25.00 |"), "{md}");
    assert!(md.contains("## Cascade\n\ntree answered 60%"), "{md}");
    assert!(
        md.contains("![Accuracy against escalation](curve.svg)"),
        "{md}"
    );
    assert!(md.contains("Confusion matrix of mlp"), "{md}");
    assert!(md.contains("| **yes** | 0 | 2 |"), "{md}");
    assert!(md.contains("- cnn skipped"), "{md}");
    assert!(
        md.contains("predict (ms)") && md.contains("| 2.0 |"),
        "{md}"
    );
}

#[test]
fn json_round_trips_and_files_are_written() {
    let r = report();
    let back: Report = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert_eq!(back, r);
    let dir = tempfile::tempdir().unwrap();
    let (md, json) = r.write_to(&dir.path().join("run")).unwrap();
    assert_eq!(std::fs::read_to_string(md).unwrap(), r.to_markdown());
    assert!(
        std::fs::read_to_string(json)
            .unwrap()
            .contains("\"family\": \"large\"")
    );
    let svg = std::fs::read_to_string(dir.path().join("run/curve.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("tree -&gt; mlp"));
    // The HTML page holds the figure inline; no temporary files are left behind.
    let html = std::fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert_eq!(html, r.to_html().unwrap());
    assert!(html.contains("<figure><svg") && html.contains("<td class=\"num\">"));
    assert_eq!(
        std::fs::read_dir(dir.path().join("run")).unwrap().count(),
        4,
        "report.md, report.html, report.json, curve.svg"
    );
    // A figure may not escape the report folder.
    let mut bad = r.clone();
    bad.figures[0].file = "../x.svg".into();
    assert!(bad.write_to(&dir.path().join("run2")).is_err());
}
