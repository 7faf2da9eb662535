//! Ensembles in weight space: networks combined by averaging their weights rather than their
//! predictions, so the result predicts at the cost of one network.
//!
//! * [`weights`]: a network's parameters as flat tensors in visit order, weighted means of
//!   networks of one architecture, a running mean.
//! * [`soup`]: uniform and greedy model soups of fine-tuned copies of one pretrained network.
//! * [`recorded`]: what the two hooks share: checked settings and a shared record of the run.
//! * [`swa`]: stochastic weight averaging over the last epochs, as a training hook.
//! * [`snapshot`]: snapshot ensembles from a cyclic cosine learning rate, as a training hook
//!   (these are averaged in prediction space: the snapshots sit in different minima).

pub mod recorded;
pub mod snapshot;
pub mod soup;
pub mod swa;
pub mod weights;

pub use recorded::{Recorded, RecordingHook};
pub use snapshot::{SnapshotConfig, SnapshotEnsemble, Snapshots};
pub use soup::{SoupReport, SoupScore, SoupStep, greedy_soup, uniform_soup, weight_average};
pub use swa::{StochasticWeightAveraging, SwaConfig};
pub use weights::{RunningAverage, average_models, parameter_values, with_parameter_values};
