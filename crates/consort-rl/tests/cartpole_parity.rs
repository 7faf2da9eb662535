//! CartPole-v1 against Gymnasium 1.4.0: six recorded episodes (initial state set directly,
//! the action sequence, every observation, reward and flag; two run 500 steps to truncation)
//! replayed step for step.

use consort_rl::env::{CartPole, Environment};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    gymnasium: String,
    episodes: Vec<Episode>,
}

#[derive(Deserialize)]
struct Episode {
    initial_state: [f64; 4],
    actions: Vec<usize>,
    states: Vec<[f64; 4]>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
}

#[test]
fn replaying_gymnasium_episodes_reproduces_every_step() {
    let reference: Reference =
        serde_json::from_str(include_str!("data/cartpole_reference.json")).unwrap();
    assert_eq!(reference.gymnasium, "1.4.0");
    let mut worst = 0.0f64;
    let mut truncated_episodes = 0;
    for (e, episode) in reference.episodes.iter().enumerate() {
        let mut env = CartPole::v1(0);
        let first = env.inner_mut().reset_to(episode.initial_state);
        for (a, b) in first.iter().zip(&episode.states[0]) {
            assert!((f64::from(*a) - b).abs() < 1e-6);
        }
        assert_eq!(episode.states.len(), episode.actions.len() + 1);
        for (t, &action) in episode.actions.iter().enumerate() {
            let r = env.step(action).unwrap();
            for (a, b) in r.next_state.iter().zip(&episode.states[t + 1]) {
                let gap = (f64::from(*a) - b).abs();
                worst = worst.max(gap);
                assert!(gap <= 1e-5, "episode {e} step {t}: {a} vs {b}");
            }
            assert_eq!(r.reward, episode.rewards[t], "episode {e} step {t}");
            assert_eq!(r.terminated, episode.terminated[t], "episode {e} step {t}");
            assert_eq!(r.truncated, episode.truncated[t], "episode {e} step {t}");
        }
        truncated_episodes += usize::from(*episode.truncated.last().unwrap());
        // The recording stops where Gymnasium's episode did.
        assert!(episode.terminated.last().unwrap() | episode.truncated.last().unwrap());
        assert!(env.step(0).is_err());
    }
    assert_eq!(truncated_episodes, 2);
    eprintln!(
        "largest observation gap over {} episodes: {worst:.2e}",
        reference.episodes.len()
    );
}
