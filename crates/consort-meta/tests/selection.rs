//! Meta-learned model selection: the ranking follows the nearest datasets, the shipped
//! knowledge base is what the portfolio computes (and holds no dataset twice), and leave one
//! dataset out over the 36 real datasets try-and-switch among the top 3 stays under one point of regret and the first pick
//! beats a pick at random.
//!
//! Not met, measured (the first bar): the meta-learner's first pick does not beat
//! always taking the candidate best on average. Stacking is best or within 0.5 points on 27
//! of the 36 sets, so "always stacking" regrets 0.44 points; nearest-dataset ranking with
//! 3 neighbours regrets 0.94 (on the first 24 sets 0.52 against 0.33; 7 or more neighbours,
//! random-forest meta-models and shrinking towards corpus-wide regrets collapse into always
//! picking stacking). The test asserts what holds and prints the comparison.

use std::collections::BTreeMap;

use consort_core::ObserverHandle;
use consort_data::fetch::{Asset, fetch};
use consort_data::{CsvOptions, MissingValues, read_table};
use consort_meta::selection::{
    KnowledgeBase, KnowledgeEntry, MetaFeatures, MetaSelector, Portfolio, candidate_names, prepare,
};

fn entry(name: &str, meta: [f64; 2], scores: &[(&str, f64)]) -> KnowledgeEntry {
    KnowledgeEntry {
        dataset: name.into(),
        meta: MetaFeatures {
            names: vec!["a".into(), "b".into()],
            values: meta.to_vec(),
        },
        scores: scores.iter().map(|(n, s)| (n.to_string(), *s)).collect(),
    }
}

#[test]
fn the_ranking_follows_the_nearest_datasets() {
    // Two kinds of dataset: near (0, 0) the forest wins, near (10, 10) the logistic one.
    let kb = KnowledgeBase {
        entries: vec![
            entry("f1", [0.0, 0.1], &[("forest", 0.9), ("logistic", 0.7)]),
            entry("f2", [0.2, 0.0], &[("forest", 0.95), ("logistic", 0.8)]),
            entry("f3", [0.1, 0.2], &[("forest", 0.85), ("logistic", 0.75)]),
            entry("l1", [10.0, 9.9], &[("forest", 0.7), ("logistic", 0.9)]),
            entry("l2", [9.8, 10.0], &[("forest", 0.6), ("logistic", 0.92)]),
            entry("l3", [10.1, 10.2], &[("forest", 0.75), ("logistic", 0.8)]),
        ],
    };
    let query = |v: [f64; 2]| MetaFeatures {
        names: vec!["a".into(), "b".into()],
        values: v.to_vec(),
    };
    let selector = MetaSelector::default();
    let (near_forest, neighbours) = selector.rank(&kb, &query([0.1, 0.1]), None).unwrap();
    assert_eq!(near_forest[0].0, "forest");
    assert!(
        neighbours.iter().all(|n| n.starts_with('f')),
        "{neighbours:?}"
    );
    let (near_logistic, _) = selector.rank(&kb, &query([10.0, 10.0]), None).unwrap();
    assert_eq!(near_logistic[0].0, "logistic");
    // Every candidate is ranked; those no dataset ran come last.
    assert_eq!(near_forest.len(), candidate_names().len());
    assert!(near_forest.last().unwrap().1.is_infinite());
    // Leaving a dataset out excludes it.
    let (_, without) = selector
        .rank(&kb, &query([0.0, 0.1]), Some(&kb.entries[0]))
        .unwrap();
    assert!(!without.contains(&"f1".to_string()));
    // Meta-features of another shape are refused.
    let odd = MetaFeatures {
        names: vec!["z".into()],
        values: vec![1.0],
    };
    assert!(selector.rank(&kb, &odd, None).is_err());
    assert!(
        selector
            .rank(&KnowledgeBase::default(), &query([0.0, 0.0]), None)
            .is_err()
    );
}

#[test]
fn recording_merges_and_round_trips() {
    let mut kb = KnowledgeBase::default();
    kb.record(entry("x", [1.0, 2.0], &[("forest", 0.8)]));
    kb.record(entry("x", [1.0, 2.0], &[("logistic", 0.7)]));
    assert_eq!(kb.entries.len(), 1);
    assert_eq!(
        kb.entry("x").unwrap().scores,
        BTreeMap::from([("forest".to_string(), 0.8), ("logistic".to_string(), 0.7)])
    );
    let dir = std::env::temp_dir().join(format!("consort-kb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kb.json");
    kb.save(&path).unwrap();
    assert_eq!(KnowledgeBase::load(&path).unwrap(), kb);
    std::fs::write(&path, "{\"entries\": [{\"dataset\": 1}]}").unwrap();
    assert!(KnowledgeBase::load(&path).is_err());
    assert!(KnowledgeBase::load(&dir.join("missing.json")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn corpus_set(asset: Asset, name: &str) -> consort_data::Dataset {
    let options = CsvOptions {
        keep_text_columns: true,
        missing: MissingValues::Median,
        ..CsvOptions::default()
    };
    let table = read_table(fetch(asset).unwrap().join(format!("{name}.csv")), &options).unwrap();
    prepare(table, 1000, 0).unwrap()
}

/// The shipped knowledge base is what the code computes: two of its datasets recomputed
/// from the fetched files agree to the last digit.
#[test]
fn the_shipped_knowledge_base_is_what_the_portfolio_computes() {
    let kb = KnowledgeBase::builtin().unwrap();
    let portfolio = Portfolio::default();
    for name in ["Zoo", "Glass"] {
        let data = corpus_set(Asset::Mlbench, name);
        let stored = kb.entry(name).unwrap();
        assert_eq!(MetaFeatures::of(&data, 0).unwrap(), stored.meta, "{name}");
        for candidate in ["logistic", "tree", "naive_bayes", "knn"] {
            let score = portfolio.score(candidate, &data).unwrap();
            assert!(
                (score - stored.scores[candidate]).abs() < 1e-12,
                "{name} {candidate}: {score} vs {}",
                stored.scores[candidate]
            );
        }
    }
}

#[test]
fn leave_one_dataset_out_try_and_switch_stays_under_one_point() {
    let kb = KnowledgeBase::builtin().unwrap();
    assert!(kb.entries.len() >= 10, "{} datasets", kb.entries.len());
    for e in &kb.entries {
        assert!(
            kb.copy_of(&e.dataset, &e.meta).is_none(),
            "{} twice",
            e.dataset
        );
    }
    let lodo = MetaSelector::default().leave_one_dataset_out(&kb).unwrap();
    eprintln!("{}", lodo.to_markdown());
    let (first, average, switch, random) = (
        lodo.first_pick_regret(),
        lodo.best_on_average_regret(),
        lodo.try_and_switch_regret(),
        lodo.random_pick_regret(),
    );
    eprintln!(
        "mean regret over {} datasets: first pick {first:.2}, best on average {average:.2}, \
         try-and-switch top 3 {switch:.2}, random pick {random:.2} points",
        lodo.rows.len()
    );
    assert!(switch < 1.0, "try-and-switch regret {switch}");
    assert!(
        switch < first,
        "trying the top 3 improves on the first pick"
    );
    assert!(
        first < random / 4.0,
        "first pick {first} vs random {random}"
    );
}

/// A knowledge base holds each dataset once: the same data under a second name is refused.
#[test]
fn building_refuses_a_copy_under_another_name() {
    let iris = consort_data::embedded::iris();
    let sets = [
        ("iris".to_string(), iris.clone()),
        ("flowers".to_string(), iris),
    ];
    let err = KnowledgeBase::build(&sets, &Portfolio::default(), &ObserverHandle::none())
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"flowers\" is a copy of \"iris\""), "{err}");
}

/// A selection on a new dataset tries the top 3, keeps the best of them and records them.
#[test]
fn a_selection_tries_the_top_three_and_records_them() {
    let mut kb = KnowledgeBase::builtin().unwrap();
    kb.entries.retain(|e| e.dataset != "Zoo");
    let zoo = corpus_set(Asset::Mlbench, "Zoo");
    let selection = MetaSelector::default()
        .select(&kb, &zoo, &Portfolio::default())
        .unwrap();
    assert_eq!(selection.tried.len(), 3);
    let best = selection
        .tried
        .iter()
        .map(|t| t.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let chosen = selection
        .tried
        .iter()
        .find(|t| t.0 == selection.chosen)
        .unwrap();
    assert_eq!(chosen.1, best);
    assert_eq!(
        selection.switched,
        selection.chosen != selection.ranking[0].0
    );
    kb.record(selection.entry("Zoo"));
    assert_eq!(kb.entry("Zoo").unwrap().scores.len(), 3);
    assert!(selection.to_markdown().contains("chosen: "));
}
