//! RL fine-tuning of a pretrained policy: behaviour cloning from 5 imperfect demonstrations
//! (a controller that balances, with 30% of its actions random) gives a policy below 475;
//! PPO under an adaptive KL penalty to it starts far above PPO from scratch and solves the
//! task. It does not solve it in fewer environment steps than PPO from scratch with the
//! tuned settings: that comparison is printed and documented, not asserted.

use consort_core::ObserverHandle;
use consort_rl::env::CartPole;
use consort_rl::evaluate::{ActionChoice, evaluate};
use consort_rl::imitation::{behaviour_clone, cartpole_controller, demonstrations};
use consort_rl::policy::ActorCriticConfig;
use consort_rl::ppo::{KlPenalty, PpoConfig, train_ppo};

#[test]
fn a_cloned_policy_fine_tuned_under_a_kl_penalty_solves_cartpole() {
    let demos = demonstrations(cartpole_controller(0.5), || CartPole::v1(0), 5, 0.3, 11).unwrap();
    let lengths: Vec<usize> = demos.iter().map(|d| d.actions.len()).collect();
    let (cloned, device) =
        behaviour_clone(&ActorCriticConfig::new(4, 2), &demos, 50, Some(0.98), 0).unwrap();
    let before = evaluate(
        &cloned,
        &device,
        || CartPole::v1(0),
        20,
        ActionChoice::Sampled(0),
    )
    .unwrap();
    eprintln!(
        "demonstrations of {lengths:?} steps; cloned policy {:.1} +- {:.1}",
        before.mean, before.std
    );
    assert!(before.mean < 475.0);
    let config = PpoConfig {
        kl: Some(KlPenalty::Adaptive {
            initial: 0.05,
            target: 0.2,
        }),
        ..PpoConfig::cartpole()
    };
    let none = ObserverHandle::none();
    let env = |i: usize| CartPole::v1(i as u64);
    let tuned = train_ppo(&config, env, Some(cloned.clone()), Some(&cloned), &none).unwrap();
    let scratch = train_ppo(&config, env, None, None, &none).unwrap();
    let first = |run: &consort_rl::ppo::PpoRun| {
        run.episodes.iter().take(20).map(|e| e.1).sum::<f64>() / 20.0
    };
    let kl: Vec<String> = tuned
        .updates
        .iter()
        .step_by(25)
        .map(|u| format!("{:.3}/{:.3}", u.kl_to_reference, u.kl_coef))
        .collect();
    eprintln!(
        "fine-tuned: first 20 episodes {:.1}, solved at {:?}; from scratch: {:.1}, solved at {:?}; \
         KL / coefficient every 25 updates: {kl:?}",
        first(&tuned),
        tuned.solved_at_step,
        first(&scratch),
        scratch.solved_at_step
    );
    assert!(tuned.solved_at_step.is_some_and(|s| s <= 100_000));
    assert!(first(&tuned) > 5.0 * first(&scratch));
    assert!(tuned.updates.iter().all(|u| u.kl_to_reference >= -1e-6));
    assert!(
        tuned.updates.iter().any(|u| u.kl_coef != 0.05),
        "the coefficient adapts"
    );
    assert!(scratch.updates.iter().all(|u| u.kl_coef == 0.0));
}
