//! Consort RL: reinforcement learning beside the supervised loop, sharing its optimisers
//! ([`consort_tune::OptimizerConfig`]), observers and seeding.
//!
//! - [`env`](mod@env): the [`Environment`](env::Environment) trait (reset with a seed; step to the
//!   next observation, reward, terminated and truncated), CartPole-v1 with Gymnasium's exact
//!   dynamics, wrappers (time limit, episode statistics, observation and reward
//!   normalisation) and vectorised copies.

#![warn(missing_docs)]

pub mod env;
pub mod evaluate;
pub mod imitation;
pub mod policy;
pub mod ppo;
pub mod reinforce;
pub mod report;
pub mod router;
