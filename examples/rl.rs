//! Reinforcement learning on CartPole-v1: PPO and REINFORCE (with and without the learned
//! baseline) on 3 seeds each, the gradient variance with and without the baseline, a
//! behaviour-cloned policy fine-tuned by PPO under a KL penalty against PPO from scratch.
//! The learned cascade router is in `consort-rl`'s router test.
//!
//! `cargo run --release -p consort-examples --example rl [-- --out DIR]`

use consort_rl::env::CartPole;
use consort_rl::evaluate::{ActionChoice, evaluate};
use consort_rl::imitation::{behaviour_clone, cartpole_controller, demonstrations};
use consort_rl::policy::ActorCriticConfig;
use consort_rl::ppo::{KlPenalty, PpoConfig, train_ppo};
use consort_rl::reinforce::{ReinforceConfig, gradient_variance, train_reinforce};
use consort_rl::report::{agent_table, run_cartpole, write_report};

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    let progress = consort_examples::progress();
    let out = consort_examples::out_dir();
    let mut runs = Vec::new();
    for agent in consort_rl::report::ALGORITHMS {
        for seed in 0..3 {
            log::info!("{agent}, seed {seed} ...");
            runs.push(run_cartpole(
                agent,
                seed,
                Some(consort_examples::backend()?),
                &progress,
            )?);
        }
    }
    println!("## CartPole-v1 (solved: 100 consecutive training episodes average 475)\n");
    println!("{}", agent_table(&runs));

    let env = |i: usize| CartPole::v1(i as u64);
    let reinforce = train_reinforce(&ReinforceConfig::cartpole(), env, &progress)?;
    let (without, with) = gradient_variance(&reinforce.policy, env, 32, 0.99, 7)?;
    println!(
        "REINFORCE gradient variance (32 episodes of the solved policy, summed over the actor's \
         weights): without baseline {without:.3e}, with {with:.3e} ({:.2}x)\n",
        without / with
    );

    let demos = demonstrations(cartpole_controller(0.5), || CartPole::v1(0), 5, 0.3, 11)?;
    let (cloned, device) =
        behaviour_clone(&ActorCriticConfig::new(4, 2), &demos, 50, Some(0.98), 0)?;
    let start = evaluate(
        &cloned,
        &device,
        || CartPole::v1(0),
        20,
        ActionChoice::Sampled(0),
    )?;
    println!("## Fine-tuning a behaviour-cloned policy (5 demonstrations, 30% random actions)\n");
    println!(
        "cloned policy: {:.1} ± {:.1} (sampled actions)\n",
        start.mean, start.std
    );
    println!(
        "| seed | PPO + KL from the cloned policy: solved at | PPO from scratch: solved at | first 20 episodes (tuned / scratch) |"
    );
    println!("|---:|---:|---:|---:|");
    for seed in 0..3 {
        let config = PpoConfig {
            kl: Some(KlPenalty::Fixed(0.1)),
            ..PpoConfig::cartpole().with_seed(seed)
        };
        let tuned = train_ppo(&config, env, Some(cloned.clone()), Some(&cloned), &progress)?;
        let scratch = train_ppo(&config, env, None, None, &progress)?;
        let first = |r: &consort_rl::ppo::PpoRun| {
            r.episodes.iter().take(20).map(|e| e.1).sum::<f64>() / 20.0
        };
        let steps = |r: &consort_rl::ppo::PpoRun| {
            r.solved_at_step
                .map_or_else(|| "not solved".to_string(), |s| s.to_string())
        };
        println!(
            "| {seed} | {} | {} | {:.1} / {:.1} |",
            steps(&tuned),
            steps(&scratch),
            first(&tuned),
            first(&scratch)
        );
    }
    if let Some(dir) = out {
        println!("\nreport: {}", write_report(&runs, &dir)?.display());
    }
    Ok(())
}
