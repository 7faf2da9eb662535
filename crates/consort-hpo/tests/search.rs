//! Samplers and pruners on known functions: TPE against random search over 20 seeds, the
//! grid, conditional parameters, and pruning on learning curves.

use std::collections::BTreeMap;

use consort_core::{Direction, Result};
use consort_hpo::{
    GridSampler, Hyperband, MedianPruner, ParamValue, RandomSampler, Study, SuccessiveHalving,
    TpeSampler, Trial, TrialState,
};

/// Branin on (x1, x2) plus penalties from a log-scale float, an integer and a category:
/// minimum 0.397887 at lr = 1e-2, layers = 3, act = relu.
fn mixed_branin(t: &mut Trial<'_>) -> Result<f64> {
    let x1 = t.suggest_float("x1", -5.0, 10.0)?;
    let x2 = t.suggest_float("x2", 0.0, 15.0)?;
    let lr = t.suggest_float_log("lr", 1e-4, 1.0)?;
    let layers = t.suggest_int("layers", 1, 8, 1)?;
    let act = t.suggest_categorical("act", &["relu", "tanh", "sigmoid"])?;
    let pi = std::f64::consts::PI;
    let (b, c, s) = (5.1 / (4.0 * pi * pi), 5.0 / pi, 10.0);
    let branin =
        (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + s * (1.0 - 1.0 / (8.0 * pi)) * x1.cos() + s;
    let penalty = (lr.log10() + 2.0).powi(2)
        + 0.5 * ((layers - 3) as f64).powi(2)
        + match act.as_str() {
            "relu" => 0.0,
            "tanh" => 1.0,
            _ => 2.0,
        };
    Ok(branin + penalty)
}

fn best_after(study: Study, trials: usize) -> f64 {
    let mut study = study;
    study.optimize(trials, mixed_branin).unwrap();
    study.best_trial().unwrap().value.unwrap()
}

/// P(X >= k) for X ~ Binomial(n, 1/2).
fn sign_test_p(k: usize, n: usize) -> f64 {
    let choose =
        |n: usize, k: usize| (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    (k..=n).map(|i| choose(n, i)).sum::<f64>() / 2f64.powi(n as i32)
}

#[test]
fn tpe_beats_random_search_over_twenty_seeds() {
    let (mut tpe, mut random) = (Vec::new(), Vec::new());
    for seed in 0..20 {
        tpe.push(best_after(Study::new(Direction::Lower).with_seed(seed), 60));
        random.push(best_after(
            Study::new(Direction::Lower)
                .with_sampler(RandomSampler)
                .with_seed(seed),
            60,
        ));
    }
    let wins = tpe.iter().zip(&random).filter(|(t, r)| t < r).count();
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        0.5 * (v[9] + v[10])
    };
    let p = sign_test_p(wins, 20);
    eprintln!(
        "best after 60 trials, median over 20 seeds: TPE {:.3}, random {:.3}; TPE better on \
         {wins} of 20 seeds (one-sided sign test p = {p:.2e})",
        median(&tpe),
        median(&random)
    );
    assert!(median(&tpe) < median(&random));
    assert!(p < 0.05, "p = {p}");
}

#[test]
fn the_grid_enumerates_exactly_its_grid() {
    let grid = BTreeMap::from([
        (
            "layers".to_string(),
            vec![ParamValue::Int(1), ParamValue::Int(2), ParamValue::Int(3)],
        ),
        (
            "act".to_string(),
            vec![
                ParamValue::Categorical("relu".into()),
                ParamValue::Categorical("tanh".into()),
            ],
        ),
    ]);
    let mut study = Study::new(Direction::Lower).with_sampler(GridSampler::new(grid).unwrap());
    study
        .optimize(100, |t| {
            let layers = t.suggest_int("layers", 1, 3, 1)?;
            let act = t.suggest_categorical("act", &["relu", "tanh"])?;
            Ok(layers as f64 + if act == "relu" { 0.0 } else { 0.5 })
        })
        .unwrap();
    let mut seen: Vec<String> = study
        .trials()
        .iter()
        .map(|t| format!("{}-{}", t.params["layers"], t.params["act"]))
        .collect();
    assert_eq!(seen.len(), 6, "stops when the grid is done");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "each combination once");
    assert_eq!(study.best_trial().unwrap().value, Some(1.0));
}

#[test]
fn conditional_parameters_and_failures_are_recorded() {
    // Univariate TPE, and multivariate TPE (the branch's parameters fall outside the shared
    // space and are drawn one by one).
    for sampler in [TpeSampler::default(), TpeSampler::multivariate()] {
        conditional_study(sampler);
    }
}

fn conditional_study(sampler: TpeSampler) {
    let mut study = Study::new(Direction::Higher)
        .with_sampler(sampler)
        .with_seed(3);
    study
        .optimize(40, |t| {
            let model = t.suggest_categorical("model", &["tree", "linear"])?;
            if model == "tree" {
                let depth = t.suggest_int("depth", 1, 12, 1)?;
                Ok(1.0 - ((depth - 6) as f64).abs() / 10.0)
            } else {
                let c = t.suggest_float_log("c", 1e-3, 1e3)?;
                if c > 500.0 {
                    return Err(consort_core::ConsortError::config("diverged"));
                }
                Ok(0.8 - c.log10().abs() / 10.0)
            }
        })
        .unwrap();
    for t in study.trials() {
        let tree = t.params["model"] == ParamValue::Categorical("tree".into());
        assert_eq!(t.params.contains_key("depth"), tree);
        assert_eq!(t.params.contains_key("c"), !tree);
        if t.state == TrialState::Failed {
            assert!(t.user_attrs["error"].contains("diverged"));
        }
    }
    assert_eq!(
        study.best_trial().unwrap().value,
        Some(1.0),
        "depth 6 found"
    );
}

#[test]
fn one_name_with_two_distributions_is_an_error() {
    let mut s = Study::new(Direction::Lower);
    s.optimize(1, |t| {
        t.suggest_float("x", 0.0, 1.0)?;
        t.suggest_float("x", 0.0, 2.0)
    })
    .unwrap();
    assert_eq!(s.trials()[0].state, TrialState::Failed);
}

/// A learning curve whose final value depends on the learning rate: pruners that see the
/// early epochs can stop the bad rates.
fn curve_objective(epochs_used: &mut usize) -> impl FnMut(&mut Trial<'_>) -> Result<f64> + '_ {
    move |t| {
        let lr = t.suggest_float_log("lr", 1e-5, 1.0)?;
        let final_accuracy = 0.98 - 0.05 * (lr.log10() + 2.5).powi(2);
        let mut value = 0.0;
        for epoch in 1..=27 {
            *epochs_used += 1;
            value = final_accuracy * (1.0 - (-(epoch as f64) / 4.0).exp());
            t.report(epoch, value)?;
            if t.should_prune() {
                break;
            }
        }
        Ok(value)
    }
}

#[test]
fn pruners_spend_far_fewer_epochs_and_find_the_same_optimum() {
    let run = |pruner: Option<Box<dyn Fn(Study) -> Study>>| {
        let mut epochs = 0;
        let mut study = Study::new(Direction::Higher)
            .with_sampler(RandomSampler)
            .with_seed(5);
        if let Some(p) = pruner {
            study = p(study);
        }
        study.optimize(60, curve_objective(&mut epochs)).unwrap();
        let pruned = study
            .trials()
            .iter()
            .filter(|t| t.state == TrialState::Pruned)
            .count();
        (epochs, study.best_trial().unwrap().value.unwrap(), pruned)
    };
    let (full, best, _) = run(None);
    for (name, pruner) in [
        (
            "median",
            Box::new(|s: Study| s.with_pruner(MedianPruner::default()))
                as Box<dyn Fn(Study) -> Study>,
        ),
        (
            "successive halving",
            Box::new(|s: Study| s.with_pruner(SuccessiveHalving::default())),
        ),
        (
            "hyperband",
            Box::new(|s: Study| {
                s.with_pruner(Hyperband {
                    min_resource: 1,
                    max_resource: 27,
                    reduction_factor: 3,
                })
            }),
        ),
    ] {
        let (epochs, found, pruned) = run(Some(pruner));
        eprintln!(
            "{name}: {epochs} epochs of {full} ({:.0}%), {pruned} trials pruned, best {found:.4} vs {best:.4}",
            100.0 * epochs as f64 / full as f64
        );
        // Hyperband hedges: of its 4 brackets (27 epochs at most, eta 3) the last never
        // prunes, so it spends more than successive halving alone.
        let share = if name == "hyperband" { 0.75 } else { 0.5 };
        assert!(
            epochs as f64 <= share * full as f64,
            "{name}: {epochs} of {full}"
        );
        assert!(best - found <= 0.005, "{name}: {found} vs {best}");
    }
}

/// The report ranks the parameter the objective depends on first and writes its files.
#[test]
fn importances_rank_what_matters_and_the_report_is_written() {
    let mut study = Study::new(Direction::Lower)
        .with_sampler(RandomSampler)
        .with_seed(2);
    study
        .optimize(60, |t| {
            let x = t.suggest_float("x", -1.0, 1.0)?;
            let y = t.suggest_float("y", -1.0, 1.0)?;
            let _noise = t.suggest_categorical("unused", &["a", "b", "c"])?;
            Ok(10.0 * x * x + 0.5 * y * y)
        })
        .unwrap();
    let imp = study.importances().unwrap();
    eprintln!("importances: {imp:?}");
    assert_eq!(imp[0].0, "x");
    let unused = imp.iter().find(|(n, _)| n == "unused").unwrap().1;
    assert!(imp[0].1 > 0.7 && unused < 0.05, "{imp:?}");
    // Parallel coordinates: axes by name then the objective, a tick per category, the best
    // (lowest) trial darkest, at the bottom of the objective axis.
    let pc = study.parallel_coordinates().unwrap();
    let names: Vec<&str> = pc.axes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["unused", "x", "y", "objective"]);
    assert_eq!(pc.axes[0].ticks.len(), 3);
    assert_eq!(pc.lines.len(), 60);
    let best = study.best_trial().unwrap().number;
    let darkest = (0..60).max_by(|&a, &b| pc.shades[a].total_cmp(&pc.shades[b]));
    assert_eq!(darkest, Some(best));
    assert_eq!(pc.shades[best], 1.0);
    assert_eq!(pc.lines[best][3], Some(0.0));
    let dir = std::env::temp_dir().join(format!("consort-hpo-report-{}", std::process::id()));
    let html = study.write_report(&dir).unwrap();
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("Parameter importances") && page.contains("<svg"));
    assert!(page.contains("Parallel coordinates") && dir.join("parallel.svg").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Study::new(Direction::Lower).importances().is_err());
}

/// Rosenbrock's banana valley (minimum 0 at (1, 1)): the good y depends on x.
fn rosenbrock(t: &mut Trial<'_>) -> Result<f64> {
    let x = t.suggest_float("x", -2.0, 2.0)?;
    let y = t.suggest_float("y", -1.0, 3.0)?;
    Ok((1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2))
}

/// Three parameters that must agree (a valley along the diagonal), minimum 0 at (1, 1, 1).
fn diagonal(t: &mut Trial<'_>) -> Result<f64> {
    let x = t.suggest_float("x", -5.0, 5.0)?;
    let y = t.suggest_float("y", -5.0, 5.0)?;
    let z = t.suggest_float("z", -5.0, 5.0)?;
    Ok(((x + y + z) / 3.0 - 1.0).powi(2) + 10.0 * ((x - y).powi(2) + (y - z).powi(2)))
}

/// Where parameters interact, drawing them jointly helps: over 20 seeds x 60 trials on two
/// such functions, multivariate TPE's median best is lower on each, and it wins
/// significantly more often than univariate TPE (one-sided sign test over the 40 runs).
#[test]
fn multivariate_tpe_helps_where_parameters_interact() {
    let mut wins = 0;
    for (name, f) in [
        (
            "rosenbrock",
            rosenbrock as fn(&mut Trial<'_>) -> Result<f64>,
        ),
        ("diagonal", diagonal),
    ] {
        let (mut uni, mut multi) = (Vec::new(), Vec::new());
        for seed in 0..20 {
            let run = |sampler: TpeSampler| {
                let mut s = Study::new(Direction::Lower)
                    .with_sampler(sampler)
                    .with_seed(seed);
                s.optimize(60, f).unwrap();
                s.best_trial().unwrap().value.unwrap()
            };
            uni.push(run(TpeSampler::default()));
            multi.push(run(TpeSampler::multivariate()));
        }
        let won = multi.iter().zip(&uni).filter(|(m, u)| m < u).count();
        wins += won;
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            0.5 * (v[9] + v[10])
        };
        eprintln!(
            "{name}, best after 60 trials, median of 20 seeds: univariate {:.3}, multivariate \
             {:.3}; multivariate better on {won}/20",
            median(&uni),
            median(&multi)
        );
        assert!(median(&multi) < median(&uni), "{name}");
    }
    let p = sign_test_p(wins, 40);
    eprintln!("multivariate better on {wins}/40 runs, one-sided sign test p = {p:.1e}");
    assert!(p < 0.05, "p = {p}");
}
