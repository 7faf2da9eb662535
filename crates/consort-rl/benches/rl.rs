//! Environment throughput and PPO's cost: CartPole-v1 steps per second (one copy and 8
//! vectorised copies, random actions), one PPO update (a rollout of 8 x 32 steps, then 20
//! epochs on it, the CartPole settings), and the whole run to solved.
//!
//! `cargo bench -p consort-rl --bench rl`; `bench/ppo_cartpole.py` measures the same work in
//! PyTorch and Gymnasium where they are installed.

use std::hint::black_box;

use consort_core::ObserverHandle;
use consort_core::seed::rng;
use consort_rl::env::{CartPole, Environment, VectorEnv};
use consort_rl::ppo::{PpoConfig, train_ppo};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;

const STEPS: usize = 10_000;

fn environments(c: &mut Criterion) {
    let mut group = c.benchmark_group("cartpole");
    group.throughput(Throughput::Elements(STEPS as u64));
    group.bench_function("1 copy, 10k steps", |b| {
        let mut env = CartPole::v1(0);
        let mut r = rng(0);
        b.iter(|| {
            env.reset(Some(0));
            for _ in 0..STEPS {
                if env.step(r.random_range(0..2)).unwrap().done() {
                    env.reset(None);
                }
            }
        });
    });
    group.bench_function("8 copies, 10k steps", |b| {
        let mut envs = VectorEnv::new(8, |i| CartPole::v1(i as u64)).unwrap();
        let mut r = rng(0);
        envs.reset(0);
        b.iter(|| {
            for _ in 0..STEPS / 8 {
                let actions: Vec<usize> = (0..8).map(|_| r.random_range(0..2)).collect();
                black_box(envs.step(&actions).unwrap());
            }
        });
    });
    group.finish();
}

fn ppo(c: &mut Criterion) {
    let mut group = c.benchmark_group("ppo");
    group.sample_size(10);
    let one_update = PpoConfig {
        total_steps: 256,
        solve: None,
        ..PpoConfig::cartpole()
    };
    group.bench_function("one update (8x32 rollout, 20 epochs)", |b| {
        b.iter(|| {
            train_ppo(
                &one_update,
                |i| CartPole::v1(i as u64),
                None,
                None,
                &ObserverHandle::none(),
            )
            .unwrap()
        });
    });
    group.bench_function("solve CartPole-v1 (seed 0)", |b| {
        b.iter(|| {
            let run = train_ppo(
                &PpoConfig::cartpole(),
                |i| CartPole::v1(i as u64),
                None,
                None,
                &ObserverHandle::none(),
            )
            .unwrap();
            let solved = run
                .solved_at_step
                .expect("PPO solves CartPole-v1 on seed 0");
            // scripts/compare_ppo_torch.sh compares time per step of the run to solved.
            let _ = std::fs::write(
                concat!(env!("CARGO_TARGET_TMPDIR"), "/ppo_solved_at.txt"),
                solved.to_string(),
            );
        });
    });
    group.finish();
}

criterion_group!(benches, environments, ppo);
criterion_main!(benches);
