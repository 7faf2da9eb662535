//! Loader, splits and bad-input behaviour of consort-data.

use std::io::Write;

use consort_core::ConsortError;
use consort_data::{
    CsvOptions, LabelColumn, StandardScaler, embedded, parse_csv, read_csv, stratified_kfold,
    train_test_split, train_validation_test_split, write_csv,
};

fn parse(text: &str) -> Result<consort_data::Dataset, ConsortError> {
    parse_csv(text.as_bytes(), "test.csv", &CsvOptions::default())
}

#[test]
fn digits_has_the_documented_shape_and_class_counts() {
    let d = embedded::digits();
    assert_eq!(d.len(), 1797);
    assert_eq!(d.n_features(), 64);
    assert_eq!(d.n_classes(), 10);
    // scikit-learn's load_digits class counts.
    assert_eq!(
        d.class_counts(),
        vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert_eq!(d.feature_names()[9], "pixel_1_1");
    let max = d.features().as_slice().iter().fold(0f32, |m, &v| m.max(v));
    assert_eq!(max, 16.0);
}

#[test]
fn iris_has_three_balanced_classes() {
    let d = embedded::iris();
    assert_eq!((d.len(), d.n_features(), d.n_classes()), (150, 4, 3));
    assert_eq!(d.class_counts(), vec![50, 50, 50]);
}

#[test]
fn csv_round_trip_is_lossless() {
    let dir = tempfile::tempdir().unwrap();
    for d in [embedded::digits(), embedded::iris()] {
        let path = dir.path().join(format!("{}.csv", d.name()));
        write_csv(&d, &path).unwrap();
        let back = read_csv(&path, &CsvOptions::default()).unwrap();
        assert_eq!(back.features(), d.features());
        assert_eq!(back.labels(), d.labels());
        assert_eq!(back.class_names(), d.class_names());
        assert_eq!(back.feature_names(), d.feature_names());
    }
}

#[test]
fn label_column_by_name_index_and_string_classes() {
    let text = "species,a,b\nsetosa,1,2\nvirginica,3,4\nsetosa,5,6\n";
    let by_name = parse_csv(
        text.as_bytes(),
        "t",
        &CsvOptions {
            label: LabelColumn::Name("species".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(by_name.class_names(), ["setosa", "virginica"]);
    assert_eq!(by_name.labels(), [0, 1, 0]);
    assert_eq!(by_name.feature_names(), ["a", "b"]);
    assert_eq!(by_name.features().row(1), [3.0, 4.0]);
    let by_index = parse_csv(
        text.as_bytes(),
        "t",
        &CsvOptions {
            label: LabelColumn::parse("0"),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(by_index, by_name);
    // Numeric labels sort numerically, not as strings.
    let d = parse("x,y\n1,10\n2,2\n3,1\n").unwrap();
    assert_eq!(d.class_names(), ["1", "2", "10"]);
    assert_eq!(d.labels(), [2, 1, 0]);
}

#[test]
fn missing_file_is_an_io_error() {
    let err = read_csv("/definitely/not/here.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(err, ConsortError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/definitely/not/here.csv"));
}

#[test]
fn ragged_row_is_a_parse_error_with_its_line() {
    let err = parse("a,b,label\n1,2,0\n3,1\n").unwrap_err();
    match err {
        ConsortError::Parse { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("2 fields"), "{message}");
        }
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn non_numeric_cell_is_a_parse_error_naming_the_column() {
    let err = parse("a,b,label\n1,2,0\n3,abc,1\n").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConsortError::Parse { line: 3, .. }), "{text}");
    assert!(text.contains("\"b\"") && text.contains("abc"), "{text}");
}

#[test]
fn unknown_label_column_lists_the_columns() {
    let err = parse_csv(
        "a,b\n1,0\n".as_bytes(),
        "t",
        &CsvOptions {
            label: LabelColumn::Name("target".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    match err {
        ConsortError::UnknownColumn {
            requested,
            available,
        } => {
            assert_eq!(requested, "target");
            assert_eq!(available, ["a", "b"]);
        }
        other => panic!("{other}"),
    }
    assert!(matches!(
        parse_csv(
            "a,b\n1,0\n".as_bytes(),
            "t",
            &CsvOptions {
                label: LabelColumn::Index(5),
                ..Default::default()
            }
        ),
        Err(ConsortError::UnknownColumn { .. })
    ));
}

#[test]
fn empty_inputs_are_empty_dataset_errors() {
    assert!(matches!(parse(""), Err(ConsortError::EmptyDataset(_))));
    assert!(matches!(
        parse("a,b,label\n"),
        Err(ConsortError::EmptyDataset(_))
    ));
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.flush().unwrap();
    assert!(matches!(
        read_csv(f.path(), &CsvOptions::default()),
        Err(ConsortError::EmptyDataset(_))
    ));
}

#[test]
fn nan_and_inf_features_are_rejected() {
    for bad in ["NaN", "nan", "inf", "-inf"] {
        let err = parse(&format!("a,b,label\n1,2,0\n3,{bad},1\n")).unwrap_err();
        assert!(matches!(err, ConsortError::NonFinite(_)), "{bad}: {err}");
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}

#[test]
fn single_class_data_cannot_be_split() {
    let d = parse("a,label\n1,0\n2,0\n3,0\n4,0\n").unwrap();
    assert!(matches!(
        train_test_split(&d, 0.25, 0),
        Err(ConsortError::TooFewClasses(_))
    ));
    assert!(matches!(
        d.ensure_trainable(),
        Err(ConsortError::TooFewClasses(_))
    ));
    let two = parse("a,label\n1,0\n2,0\n3,1\n4,1\n").unwrap();
    assert!(matches!(
        train_test_split(&two, 1.5, 0),
        Err(ConsortError::InvalidConfig { .. })
    ));
}

#[test]
fn stratified_split_keeps_class_proportions_and_is_seeded() {
    let d = embedded::digits();
    let (train, test) = train_test_split(&d, 0.25, 0).unwrap();
    assert_eq!(train.len() + test.len(), d.len());
    assert!((445..=455).contains(&test.len()), "{}", test.len());
    for (all, t) in d.class_counts().iter().zip(test.class_counts()) {
        let expected = (*all as f64 * 0.25).round() as usize;
        assert_eq!(t, expected);
    }
    let (train2, test2) = train_test_split(&d, 0.25, 0).unwrap();
    assert_eq!(
        (train.labels(), test.labels()),
        (train2.labels(), test2.labels())
    );
    let (_, test3) = train_test_split(&d, 0.25, 1).unwrap();
    assert_ne!(test.features(), test3.features());

    let s = train_validation_test_split(&d, 0.15, 0.25, 0).unwrap();
    assert_eq!(s.train.len() + s.validation.len() + s.test.len(), d.len());
    assert!(
        (260..=280).contains(&s.validation.len()),
        "{}",
        s.validation.len()
    );
}

#[test]
fn stratified_kfold_partitions_every_row_once() {
    let d = embedded::iris();
    let folds = stratified_kfold(d.labels(), 3, 5, 7).unwrap();
    assert_eq!(folds.len(), 5);
    let mut seen = vec![0; d.len()];
    for f in &folds {
        assert_eq!(f.train.len() + f.test.len(), d.len());
        assert_eq!(f.test.len(), 30);
        // 10 of each species in every fold.
        assert_eq!(d.subset(&f.test).class_counts(), vec![10, 10, 10]);
        f.test.iter().for_each(|&i| seen[i] += 1);
    }
    assert!(seen.iter().all(|&c| c == 1));
    assert!(stratified_kfold(d.labels(), 3, 1, 0).is_err());
}

#[test]
fn scaler_uses_training_statistics_only() {
    let d = embedded::iris();
    let (train, test) = train_test_split(&d, 0.25, 0).unwrap();
    let scaler = StandardScaler::fit(train.features()).unwrap();
    let t = scaler.transform(train.features()).unwrap();
    for j in 0..4 {
        let col: Vec<f64> = t.iter_rows().map(|r| f64::from(r[j])).collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
    }
    // The test set is transformed with the training statistics, so its mean is not exactly 0.
    let tt = scaler.transform(test.features()).unwrap();
    assert_eq!(tt.shape(), (test.len(), 4));
    assert!(
        scaler
            .transform(&consort_core::Matrix::zeros(2, 3))
            .is_err()
    );
}

#[test]
fn ratings_load_and_split_per_user() {
    use consort_data::{low_rank_ratings, read_ratings_csv};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ratings.csv");
    std::fs::write(
        &path,
        "user,item,rating,ts\nann,matrix,5,30\nann,alien,4,10\nann,heat,2,20\nbob,matrix,3,5\nbob,heat,4,6\ncy,alien,1,1\n",
    )
    .unwrap();
    let r = read_ratings_csv(&path, b',').unwrap();
    assert_eq!((r.len(), r.n_users(), r.n_items()), (6, 3, 3));
    assert_eq!(r.user_ids, ["ann", "bob", "cy"]);
    let (train, test) = r.split_per_user(0.34, 0).unwrap();
    // With timestamps the latest rating of each user is held out; cy has one rating only.
    assert_eq!(test.len(), 2);
    assert_eq!(test.values, vec![5.0, 4.0]);
    assert_eq!(train.len(), 4);
    assert!(train.users.contains(&2));

    std::fs::write(&path, "user,item,rating\nann,x,five\n").unwrap();
    assert!(matches!(
        read_ratings_csv(&path, b','),
        Err(ConsortError::Parse { line: 2, .. })
    ));
    std::fs::write(&path, "user,item\nann,x\n").unwrap();
    assert!(matches!(
        read_ratings_csv(&path, b','),
        Err(ConsortError::Parse { .. })
    ));

    let g = low_rank_ratings(50, 40, 3, 0.3, 0.1, 7).unwrap();
    assert_eq!(g, low_rank_ratings(50, 40, 3, 0.3, 0.1, 7).unwrap());
    let (a, b) = g.split_per_user(0.2, 1).unwrap();
    assert_eq!(a.len() + b.len(), g.len());
    // Users rate what they like: the observed mean sits above the model's 3.5.
    assert!(g.mean() > 3.6 && g.mean() < 5.0, "{}", g.mean());
    assert!(g.items_by_user().iter().all(|items| items.len() == 12));

    let explicit = g.to_regression().unwrap();
    assert_eq!(explicit.len(), g.len());
    assert_eq!(
        explicit.features().row(0),
        &[g.users[0] as f32, g.items[0] as f32]
    );
    let implicit = g.to_implicit(3, 0).unwrap();
    let positives = implicit.targets().iter().filter(|&&t| t == 1.0).count();
    assert_eq!(positives, g.len());
    assert_eq!(implicit.len(), 4 * g.len());
    // Negatives are items the user did not rate.
    let rated = g.items_by_user();
    for (row, &t) in implicit.features().iter_rows().zip(implicit.targets()) {
        let (u, i) = (row[0] as usize, row[1] as usize);
        assert_eq!(t == 1.0, rated[u].binary_search(&i).is_ok());
    }
}

#[test]
fn class_subsets_relabel_and_sample_per_class() {
    let iris = consort_data::embedded::iris();
    let two = iris.with_classes(1..3, Some(5), 0).unwrap();
    assert_eq!(two.len(), 10);
    assert_eq!(two.n_classes(), 2);
    assert_eq!(two.class_counts(), vec![5, 5]);
    assert_eq!(two.class_names(), &iris.class_names()[1..3]);
    assert_eq!(two, iris.with_classes(1..3, Some(5), 0).unwrap());
    assert_ne!(two, iris.with_classes(1..3, Some(5), 1).unwrap());
    assert_eq!(iris.with_classes(0..1, None, 0).unwrap().len(), 50);
    assert!(iris.with_classes(2..5, None, 0).is_err());
    assert!(iris.with_classes(1..1, None, 0).is_err());
}

/// A breast-cancer-shaped file: an id column, `?` for missing cells, string class labels.
fn with_missing() -> String {
    let mut s = String::from("Id,Cl.thickness,Bare.nuclei,Mitoses,Class\n");
    for i in 0..40 {
        let nuclei = if i % 10 == 3 {
            "?".to_string()
        } else {
            (i % 7).to_string()
        };
        let class = if i % 2 == 0 { "benign" } else { "malignant" };
        s.push_str(&format!(
            "{},{},{nuclei},{},{class}\n",
            1000 + i,
            i % 5,
            i % 3
        ));
    }
    s
}

fn options(missing: consort_data::MissingValues) -> CsvOptions {
    CsvOptions {
        label: LabelColumn::Name("Class".into()),
        missing,
        drop_columns: vec!["Id".into()],
        ..Default::default()
    }
}

#[test]
fn missing_cells_are_an_error_with_a_way_forward_or_are_dropped_or_imputed() {
    use consort_data::{Imputer, MissingValues, parse_table};
    let text = with_missing();
    let err = parse_csv(text.as_bytes(), "bc.csv", &options(MissingValues::Error)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("line 5") && msg.contains("Bare.nuclei"),
        "{msg}"
    );
    assert!(msg.contains("--missing"), "{msg}");

    let dropped = parse_csv(text.as_bytes(), "bc.csv", &options(MissingValues::Drop)).unwrap();
    assert_eq!(dropped.len(), 36);
    assert_eq!(
        dropped.feature_names(),
        &["Cl.thickness", "Bare.nuclei", "Mitoses"]
    );
    assert_eq!(dropped.class_names(), &["benign", "malignant"]);

    // Split first, then impute from the training rows only.
    let table = parse_table(text.as_bytes(), "bc.csv", &options(MissingValues::Median)).unwrap();
    assert_eq!(table.n_missing(), 4);
    let (train, test) = table.split(0.25, 0).unwrap();
    let imputer = Imputer::fit(train.features(), MissingValues::Median).unwrap();
    let (train, test) = (
        train.impute(&imputer).unwrap(),
        test.impute(&imputer).unwrap(),
    );
    assert_eq!(train.len() + test.len(), 40);
    assert!(train.features().as_slice().iter().all(|v| v.is_finite()));
    assert!(test.features().as_slice().iter().all(|v| v.is_finite()));
    // Without a policy that handles them, remaining missing cells are refused.
    let table = parse_table(text.as_bytes(), "bc.csv", &options(MissingValues::Mean)).unwrap();
    assert!(table.into_dataset().is_err());
    // The label cannot be dropped; unknown columns are named.
    let mut bad = options(MissingValues::Drop);
    bad.drop_columns = vec!["Class".into()];
    assert!(parse_csv(text.as_bytes(), "bc.csv", &bad).is_err());
    bad.drop_columns = vec!["nope".into()];
    assert!(matches!(
        parse_csv(text.as_bytes(), "bc.csv", &bad),
        Err(ConsortError::UnknownColumn { .. })
    ));
}

#[test]
fn a_given_test_file_is_matched_to_the_training_columns_by_name() {
    use consort_data::parse_table;
    let opts = CsvOptions::default();
    let train = parse_table("a,b,y\n1,2,x\n3,4,z\n".as_bytes(), "train", &opts).unwrap();
    let test = parse_table("b,a,y\n20,10,z\n".as_bytes(), "test", &opts).unwrap();
    let aligned = test.aligned_to(&train).unwrap();
    assert_eq!(aligned.features().row(0), &[10.0, 20.0]);
    assert_eq!(aligned.labels(), &[1]);
    let extra = parse_table("a,b,c,y\n1,2,3,x\n".as_bytes(), "test", &opts).unwrap();
    let err = extra.aligned_to(&train).unwrap_err().to_string();
    assert!(err.contains("extra [\"c\"]"), "{err}");
    let unseen = parse_table("a,b,y\n1,2,w\n".as_bytes(), "test", &opts).unwrap();
    assert!(unseen.aligned_to(&train).is_err());
}

#[test]
fn numeric_labels_are_one_class_per_number_and_a_missing_label_is_an_error() {
    let parse = |text: &str| {
        consort_data::parse_csv(text.as_bytes(), "m", &consort_data::CsvOptions::default())
    };
    // The reproduction that once panicked: a missing-value token among numeric labels.
    let err = parse("x,label\n1,9\n2,10\n3,NA\n").unwrap_err().to_string();
    assert!(
        err.contains("line 4") && err.contains("looks missing"),
        "{err}"
    );
    // "1", "1.0" and "01" are one class.
    let d = parse("x,label\n1,1\n2,1.0\n3,01\n4,2\n").unwrap();
    assert_eq!(d.class_names(), ["1", "2"]);
    assert_eq!(d.labels(), [0, 0, 0, 1]);
    // Numbers and words mixed are string classes, looked up exactly.
    let d = parse("x,label\n1,9\n2,10\n3,cat\n").unwrap();
    assert_eq!(d.class_names(), ["10", "9", "cat"]);
    assert_eq!(d.labels(), [1, 0, 2]);
}

#[test]
fn malformed_shapes_name_their_cause() {
    let parse = |text: &str, delimiter: u8| {
        consort_data::parse_table(
            text.as_bytes(),
            "f",
            &consort_data::CsvOptions {
                delimiter,
                ..Default::default()
            },
        )
    };
    // A delimiter at the end of every line is not an empty label.
    let t = parse("a,b,label,\n1,2,x,\n3,4,y,\n", b',').unwrap();
    assert_eq!(t.class_names(), ["x", "y"]);
    assert_eq!(t.feature_names(), ["a", "b"]);
    let e = parse("a,b,label\n1,2,x,\n", b',').unwrap_err().to_string();
    assert!(e.contains("ends with a delimiter"), "{e}");
    // An unclosed quote is not a short row.
    let e = parse("a,b,label\n1,\"2,x\n3,4,y\n", b',')
        .unwrap_err()
        .to_string();
    assert!(e.contains("never closed"), "{e}");
    // The wrong delimiter: a hint to the right one.
    let e = parse("a;b;label\n1;2;x\n", b',').unwrap_err().to_string();
    assert!(e.contains("--delimiter \";\""), "{e}");
    // Beyond f32: named as such.
    let e = consort_data::parse_csv("a,label\n4e38,x\n".as_bytes(), "f", &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("3.4e38"), "{e}");
}

#[test]
fn an_endless_line_or_too_many_cells_is_an_error_within_bounded_memory() {
    use std::io::Read;
    // An endless stream of zeros (`/dev/zero`): stopped at the line limit.
    let limits = consort_data::CsvLimits {
        max_line_bytes: 1 << 20,
        ..Default::default()
    };
    let options = consort_data::CsvOptions {
        limits,
        ..Default::default()
    };
    let zeros = std::io::repeat(0).take(u64::MAX);
    let e = consort_data::parse_table(zeros, "zeros", &options)
        .unwrap_err()
        .to_string();
    assert!(e.contains("longer than 1048576 bytes"), "{e}");
    let options = consort_data::CsvOptions {
        limits: consort_data::CsvLimits {
            max_cells: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = consort_data::parse_table(
        "a,label\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n".as_bytes(),
        "f",
        &options,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("more than 10 cells"), "{e}");
}

mod fuzz {
    //! Property tests of the reader: random bytes, truncations and edits of a valid CSV never
    //! panic it, in every missing-value, label and text-column mode, and what it accepts
    //! splits, resolves and encodes without panicking either. 12,000 cases in all.

    use consort_data::{CsvOptions, LabelColumn, MissingValues, parse_table};
    use proptest::prelude::*;

    fn valid() -> String {
        let mut valid = String::from("id,a,b,colour,label\n");
        for i in 0..40 {
            valid.push_str(&format!("{i},{}.5,{},red,{}\n", i % 7, i * 3 % 11, i % 3));
        }
        valid
    }

    const EDITS: [&str; 16] = [
        "", "?", "NA", "nan", "inf", "-1e40", "3e38", "x", "\"", ",", "\n", "\r\n", "\u{feff}",
        "1,2", "1.0", "|",
    ];

    fn options(mode: u8) -> CsvOptions {
        CsvOptions {
            label: match mode % 4 {
                0 => LabelColumn::Absent,
                1 => LabelColumn::Index(0),
                _ => LabelColumn::Last,
            },
            missing: [
                MissingValues::Error,
                MissingValues::Drop,
                MissingValues::Median,
            ][usize::from(mode % 3)],
            keep_text_columns: mode.is_multiple_of(2),
            drop_columns: if mode.is_multiple_of(5) {
                vec!["id".into()]
            } else {
                vec![]
            },
            ..CsvOptions::default()
        }
    }

    fn exercise(text: &[u8], mode: u8) {
        let options = options(mode);
        if let Ok(table) = parse_table(text, "fuzz", &options) {
            let _ = table.split(0.25, 0);
            let _ = table.clone().resolve(options.missing);
            let encoder = consort_data::OneHotEncoder::fit(&table);
            let _ = encoder.encode(table);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            mode in any::<u8>(),
        ) {
            exercise(&bytes, mode);
        }

        #[test]
        fn truncations(cut in 0usize..1000, mode in any::<u8>()) {
            let valid = valid();
            exercise(&valid.as_bytes()[..cut.min(valid.len())], mode);
        }

        #[test]
        fn cell_edits(
            edits in proptest::collection::vec((0usize..1000, 0usize..EDITS.len()), 1..6),
            mode in any::<u8>(),
        ) {
            let valid = valid();
            let mut cells: Vec<String> = valid.split(',').map(str::to_string).collect();
            for (at, e) in edits {
                let at = at % cells.len();
                cells[at] = EDITS[e].to_string();
            }
            exercise(cells.join(",").as_bytes(), mode);
        }
    }
}
