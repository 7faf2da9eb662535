//! Runs of the CartPole agents side by side, as a table and a learning-curve figure: what
//! `consort rl` and the `rl` example print and write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use consort_core::io::write_atomic;
use consort_core::{BackendKind, ConsortError, ObserverHandle, Result};
use consort_eval::{Chart, MarkdownTable};

use crate::env::CartPole;
use crate::evaluate::{ActionChoice, ReturnStats, evaluate, learning_curve};
use crate::ppo::{PpoConfig, train_ppo};
use crate::reinforce::{ReinforceConfig, train_reinforce};

/// The agents `consort rl` knows.
pub const ALGORITHMS: [&str; 3] = ["ppo", "reinforce", "reinforce-no-baseline"];

/// One agent's run on one seed.
#[derive(Debug, Clone)]
pub struct AgentRun {
    /// The agent's name.
    pub algorithm: String,
    /// The seed.
    pub seed: u64,
    /// Environment steps when the solve criterion was met.
    pub solved_at_step: Option<usize>,
    /// Training episodes when it was met.
    pub solved_at_episode: Option<usize>,
    /// Training episodes: (environment steps, return).
    pub episodes: Vec<(usize, f64)>,
    /// 20 held-out episodes, greedy actions.
    pub held_out: ReturnStats,
    /// Wall time of training.
    pub seconds: f64,
}

/// Trains `algorithm` on CartPole-v1 with `seed` and evaluates it on 20 held-out episodes.
pub fn run_cartpole(
    algorithm: &str,
    seed: u64,
    backend: Option<BackendKind>,
    observer: &ObserverHandle,
) -> Result<AgentRun> {
    let start = Instant::now();
    let env = |i: usize| CartPole::v1(i as u64);
    let (episodes, solved_at_step, solved_at_episode, policy, device) = match algorithm {
        "ppo" => {
            let run = train_ppo(
                &PpoConfig::cartpole().with_seed(seed).with_backend(backend),
                env,
                None,
                None,
                observer,
            )?;
            let at_episode = run
                .solved_at_step
                .map(|s| run.episodes.iter().filter(|e| e.0 <= s).count());
            (
                run.episodes,
                run.solved_at_step,
                at_episode,
                run.policy,
                run.device,
            )
        }
        "reinforce" | "reinforce-no-baseline" => {
            let mut config = ReinforceConfig::cartpole()
                .with_seed(seed)
                .with_backend(backend);
            if algorithm == "reinforce-no-baseline" {
                config = config.without_baseline();
            }
            let run = train_reinforce(&config, env, observer)?;
            let at_step = run.solved_at_episode.map(|e| run.episodes[e - 1].0);
            (
                run.episodes,
                at_step,
                run.solved_at_episode,
                run.policy,
                run.device,
            )
        }
        other => {
            return Err(ConsortError::config(format!(
                "unknown agent {other:?}: expected one of {ALGORITHMS:?}"
            )));
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let held_out = evaluate(
        &policy,
        &device,
        || CartPole::v1(0),
        20,
        ActionChoice::Greedy,
    )?;
    Ok(AgentRun {
        algorithm: algorithm.to_string(),
        seed,
        solved_at_step,
        solved_at_episode,
        episodes,
        held_out,
        seconds,
    })
}

/// The table: one row per run.
pub fn agent_table(runs: &[AgentRun]) -> String {
    let mut t = MarkdownTable::new(&[
        "agent",
        ">seed",
        ">solved at step",
        ">episodes to solve",
        ">held-out return",
        ">training s",
    ]);
    let or_dash = |v: Option<usize>| v.map_or("not solved".to_string(), |v| v.to_string());
    for r in runs {
        t.row([
            r.algorithm.clone(),
            r.seed.to_string(),
            or_dash(r.solved_at_step),
            or_dash(r.solved_at_episode),
            format!("{:.1} ± {:.1}", r.held_out.mean, r.held_out.std),
            format!("{:.1}", r.seconds),
        ]);
    }
    t.to_markdown()
}

/// Writes `report.md`, `report.html` and `learning-curve.svg` into `dir`; returns the HTML
/// report's path.
pub fn write_report(runs: &[AgentRun], dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
    let curves: Vec<(String, Vec<(usize, f64)>)> = runs
        .iter()
        .map(|r| {
            (
                format!("{} (seed {})", r.algorithm, r.seed),
                r.episodes.clone(),
            )
        })
        .collect();
    let chart = Chart::Line(learning_curve("CartPole-v1: training returns", &curves, 20));
    chart.write_svg(&dir.join("learning-curve.svg"))?;
    let markdown = format!(
        "# CartPole-v1\n\nSolved: the mean return of 100 consecutive training episodes reaches \
         475. Held-out: 20 episodes on seeds disjoint from training's, greedy actions.\n\n{}\n\
         ![Training returns (moving mean of 20 episodes)](learning-curve.svg)\n",
        agent_table(runs)
    );
    write_atomic(&dir.join("report.md"), markdown.as_bytes())?;
    let html = consort_eval::html_page(
        "CartPole-v1",
        &markdown,
        &[(
            "learning-curve.svg".into(),
            chart.to_svg()?,
            "Training returns (moving mean of 20 episodes)".into(),
        )],
    );
    let path = dir.join("report.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
