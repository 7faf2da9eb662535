//! PPO solves CartPole-v1: the mean return of 100 consecutive training episodes reaches 475
//! within 100,000 environment steps, and the policy then averages >= 475 over 20 held-out
//! episodes, on 3 of 3 seeds.

use consort_core::ObserverHandle;
use consort_rl::env::CartPole;
use consort_rl::evaluate::{ActionChoice, evaluate};
use consort_rl::ppo::{PpoConfig, train_ppo};

#[test]
fn ppo_solves_cartpole_on_three_seeds() {
    for seed in 0..3 {
        let config = PpoConfig::cartpole().with_seed(seed);
        let start = std::time::Instant::now();
        let run = train_ppo(
            &config,
            |i| CartPole::v1(i as u64),
            None,
            None,
            &ObserverHandle::none(),
        )
        .unwrap();
        let held_out = evaluate(
            &run.policy,
            &run.device,
            || CartPole::v1(0),
            20,
            ActionChoice::Greedy,
        )
        .unwrap();
        eprintln!(
            "seed {seed}: solved at {:?} steps ({} episodes), held-out mean {:.1} +- {:.1}, {:.1} s",
            run.solved_at_step,
            run.n_episodes(),
            held_out.mean,
            held_out.std,
            start.elapsed().as_secs_f64()
        );
        let solved = run.solved_at_step.expect("solved within the budget");
        assert!(solved <= 100_000);
        assert!(held_out.mean >= 475.0, "{held_out:?}");
    }
}
