//! The commands of the paradigms beside the main job: continual learning (`consort
//! continual`), reinforcement learning (`consort rl`), recommendation (`consort recommend`),
//! meta-learned model selection (`consort run --auto`) and hyperparameter search (`consort
//! tune`). Each parses nothing itself: its library crate does the work.

use std::io::Write;

use consort_cli::args::{ContinualArgs, RecommendArgs, RlArgs, RunArgs, SearchArgs, Verbosity};
use consort_core::ConsortError;
use consort_core::io::{check_output_dir, check_output_file};
use consort_data::embedded;

use crate::{Failure, observer, stdout};

pub(crate) fn continual(args: &ContinualArgs, verbosity: Verbosity) -> Result<(), Failure> {
    use consort_data::{Scenario, StandardScaler, train_test_split};
    use consort_tune::continual::{run_stream, strategy_table};
    let strategies = args.strategies()?;
    if let Some(dir) = &args.out {
        check_output_dir(dir)?;
    }
    consort_tune::ensure_epochs("--epochs", args.epochs)?;
    let data = embedded::by_name(&args.dataset).ok_or_else(|| {
        ConsortError::config(format!(
            "--dataset {:?}: available: {:?}",
            args.dataset,
            embedded::NAMES
        ))
    })?;
    let (train, test) = train_test_split(&data, 0.25, args.seed)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let n = args.experiences;
    let scenario = match args.scenario.as_str() {
        "class-il" => Scenario::class_incremental(&train, &test, n, args.seed)?,
        "task-il" => Scenario::task_incremental(&train, &test, n, args.seed)?,
        "domain-il" => Scenario::permuted(&train, &test, n, args.seed)?,
        other => {
            return Err(ConsortError::config(format!(
                "--scenario {other:?}: expected class-il, task-il or domain-il"
            ))
            .into());
        }
    };
    let mlp = consort_models::MlpSpec::new(vec![256, 256]);
    let cfg = consort_tune::TrainConfig::new()
        .with_epochs(args.epochs)
        .with_seed(args.seed);
    let mut network =
        consort_tune::NetworkEstimator::new(mlp, cfg).with_observer(observer(verbosity));
    network.backend = args.backend;
    let mut runs = Vec::new();
    for s in &strategies {
        let s = &consort_tune::continual::Strategy {
            carry_optimizer: args.carry_optimizer,
            ..s.clone()
        };
        log::info!("{}: {} ...", args.scenario, s.name());
        runs.push(run_stream(&network, &scenario, s)?);
    }
    let mut w = stdout();
    writeln!(
        w,
        "{} on {} ({} experiences), MLP 256-256, {} epochs per experience\n",
        args.scenario,
        args.dataset,
        scenario.len(),
        args.epochs
    )?;
    write!(w, "{}", strategy_table(&runs))?;
    if let Some(dir) = &args.out {
        let report = consort_eval::ContinualReport {
            title: format!("Continual learning: {} on {}", args.scenario, args.dataset),
            description: format!(
                "{} experiences, MLP 256-256, {} epochs per experience, seed {}; optimiser {} \
                 between experiences.",
                scenario.len(),
                args.epochs,
                args.seed,
                if args.carry_optimizer {
                    "state carried"
                } else {
                    "restarted"
                }
            ),
            experiences: scenario
                .experiences
                .iter()
                .map(|e| format!("{}: {:?}", e.id, e.classes))
                .collect(),
            runs,
        };
        let html = report.write_to(dir)?;
        writeln!(w, "report: {}", html.display())?;
    }
    w.flush()?;
    Ok(())
}

pub(crate) fn rl(args: &RlArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let agents: Vec<&str> = args.agent.split(',').map(str::trim).collect();
    if let Some(bad) = agents
        .iter()
        .find(|a| !consort_rl::report::ALGORITHMS.contains(a))
    {
        return Err(ConsortError::config(format!(
            "--agent {bad:?}: expected {}",
            consort_rl::report::ALGORITHMS.join(", ")
        ))
        .into());
    }
    if args.seeds == 0 || args.seeds > 100 {
        return Err(ConsortError::config("--seeds must lie in 1..=100").into());
    }
    if let Some(dir) = &args.out {
        check_output_dir(dir)?;
    }
    let observer = observer(verbosity);
    let mut runs = Vec::new();
    for agent in &agents {
        for seed in 0..args.seeds {
            runs.push(consort_rl::report::run_cartpole(
                agent,
                seed,
                args.backend,
                &observer,
            )?);
        }
    }
    let mut w = stdout();
    writeln!(
        w,
        "CartPole-v1: solved when 100 consecutive training episodes average 475; held-out: 20 episodes, greedy\n"
    )?;
    write!(w, "{}", consort_rl::report::agent_table(&runs))?;
    if let Some(dir) = &args.out {
        let path = consort_rl::report::write_report(&runs, dir)?;
        writeln!(w, "report: {}", path.display())?;
    }
    w.flush()?;
    Ok(())
}

/// `consort recommend`.
pub(crate) fn recommend(args: &RecommendArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let inputs: Vec<&std::path::Path> = std::iter::once(args.ratings.as_path())
        .chain(args.items.as_deref())
        .collect();
    let output = match (&args.output, &args.out) {
        (Some(file), _) => file.clone(),
        (None, Some(dir)) => {
            check_output_dir(dir)?;
            dir.join("recommendations.csv")
        }
        (None, None) => "recommendations.csv".into(),
    };
    check_output_file(&output, &inputs)?;
    let config = consort_experiment::recommend::RecommendConfig {
        k: args.k,
        seed: args.seed,
        observer: observer(verbosity),
        backend: args.backend,
        ..Default::default()
    };
    let report = consort_experiment::recommend::run_recommender(
        &args.ratings,
        args.items.as_deref(),
        &config,
    )?;
    let r = &report.ratings;
    let mut w = stdout();
    writeln!(
        w,
        "{} ratings of {} users on {} items\n\nrating prediction, random 80/20: MF test RMSE {:.4} (global mean {:.4})\n",
        r.len(),
        r.n_users(),
        r.n_items(),
        report.rmse.0,
        report.rmse.1
    )?;
    writeln!(
        w,
        "| top-{} (each user's latest 20% held out) | hit rate | NDCG |\n|---|---:|---:|",
        args.k
    )?;
    for s in &report.scores {
        writeln!(w, "| {} | {:.4} | {:.4} |", s.name, s.hit_rate, s.ndcg)?;
    }
    let mut csv = String::from("user,rank,item\n");
    for (u, items) in report.top_k.iter().enumerate() {
        for (rank, &i) in items.iter().enumerate() {
            csv.push_str(&format!(
                "{},{},{}\n",
                r.user_ids[u],
                rank + 1,
                r.item_ids[i]
            ));
        }
    }
    consort_core::io::write_atomic(&output, csv.as_bytes())?;
    writeln!(
        w,
        "\n{} (best NDCG) refitted on every rating: top {} for each user in {}",
        report.chosen,
        args.k,
        output.display()
    )?;
    w.flush()?;
    Ok(())
}

/// `consort run --auto`: meta-learned model selection with try-and-switch.
pub(crate) fn auto(args: &RunArgs) -> Result<(), Failure> {
    use consort_meta::selection::{KnowledgeBase, MetaSelector, Portfolio};
    let config = args.experiment()?;
    let path = args
        .knowledge_base
        .clone()
        .unwrap_or_else(|| consort_data::fetch::data_dir().join("knowledge_base.json"));
    // Readable and writable before any fitting: the record is the run's last step.
    let kb = KnowledgeBase::load_or_builtin(&path)?;
    let inputs: Vec<&std::path::Path> = (config.data.csv.iter())
        .chain(&config.data.test)
        .map(|p| p.as_path())
        .collect();
    check_output_file(&path, &inputs)?;
    let prepared = consort_experiment::prepare(&config.data, config.seed)?;
    let portfolio = Portfolio {
        seed: config.seed,
        folds: 3,
    };
    log::info!(
        "ranking the portfolio from the {} datasets of {} and trying the top 3 ...",
        kb.entries.len(),
        path.display()
    );
    let selection = MetaSelector::default().select(&kb, &prepared.train, &portfolio)?;
    log::info!(
        "{} chosen; refitting it on the training rows ...",
        selection.chosen
    );
    let model = portfolio
        .estimator(&selection.chosen)?
        .fit_classifier(&prepared.train)?;
    let test = consort_eval::model_accuracy(
        model.as_ref(),
        prepared.test.features(),
        prepared.test.labels(),
    )?;
    let known = kb.entries.len();
    // Read afresh and written under the file's lock: another run's record made meanwhile
    // is kept.
    let recorded_as = KnowledgeBase::record_in(&path, selection.entry(&prepared.name))?;
    let mut w = stdout();
    writeln!(
        w,
        "Model selection for {} ({} training rows; candidates ranked from the {} most similar of {} datasets)\n",
        prepared.name,
        prepared.train.len(),
        selection.neighbours.len(),
        known
    )?;
    writeln!(w, "{}", selection.to_markdown())?;
    writeln!(
        w,
        "{} refitted on the training rows: test accuracy {test:.4} ({} rows)",
        selection.chosen,
        prepared.test.len()
    )?;
    if recorded_as == prepared.name {
        writeln!(w, "recorded in {}", path.display())?;
    } else {
        writeln!(
            w,
            "recorded in {} under {recorded_as:?}: the same data (meta-features) as that entry",
            path.display()
        )?;
    }
    w.flush()?;
    Ok(())
}

pub(crate) fn search(args: &SearchArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let mut config = consort_hpo::study_file::StudyConfig::load(&args.config)?;
    config.backend = args.backend.or(config.backend);
    if let Some(dir) = &args.out {
        check_output_dir(dir)?;
    }
    // A fresh study is started by one process: a second `tune` without --resume on the same
    // local storage, while the first runs, is refused (both would pass the check below and
    // run the study twice over).
    let _starting = match (&config.storage, args.resume) {
        (Some(url), false) => match local_storage_file(url) {
            Some(file) => Some(hold_study_start(&file, url)?),
            None => None,
        },
        _ => None,
    };
    match (&config.storage, args.resume) {
        (None, true) => {
            return Err(ConsortError::config(
                "--resume needs a `storage` (sqlite://..., postgresql://... or a journal file) \
                 in the study file",
            )
            .into());
        }
        (Some(url), false) => {
            let held = config.open_storage()?.state()?.finished.len();
            if held > 0 {
                return Err(ConsortError::config(format!(
                    "{url} already holds {held} trials of this study: pass --resume to \
                     continue it (or to join it as one more worker), or name another study \
                     or storage to start afresh"
                ))
                .into());
            }
        }
        _ => {}
    }
    let observer = observer(verbosity);
    let study = consort_hpo::study_file::run_study(&config, &observer)?;
    let best = study.best_trial()?;
    let mut w = stdout();
    writeln!(
        w,
        "{} trials of {} on {}: best cross-validated accuracy {:.4} (trial {})",
        study.trials().len(),
        config.model,
        config.data_name(),
        best.value.unwrap_or(f64::NAN),
        best.number
    )?;
    for (name, value) in &best.params {
        writeln!(w, "  {name} = {value}")?;
    }
    if let Some(dir) = &args.out {
        writeln!(w, "report: {}", study.write_report(dir)?.display())?;
    }
    w.flush()?;
    Ok(())
}

/// The local file a study storage URL names (a journal file or `sqlite://` path); `None` for
/// a database server.
fn local_storage_file(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    Some(url.strip_prefix("sqlite://").unwrap_or(url).into())
}

/// The lock a fresh study's process holds while it runs, beside the storage file:
/// `<file>.start.lock`.
fn hold_study_start(
    file: &std::path::Path,
    url: &str,
) -> Result<consort_core::io::FileLock, ConsortError> {
    let mut name = file.as_os_str().to_os_string();
    name.push(".start.lock");
    consort_core::io::FileLock::acquire_within(
        std::path::Path::new(&name),
        "study start",
        std::time::Duration::from_secs(2),
    )
    .map_err(|e| match e {
        ConsortError::Locked { .. } => ConsortError::config(format!(
            "another `consort search` is running the new study in {url}: pass --resume to join \
             it as one more worker"
        )),
        other => other,
    })
}
