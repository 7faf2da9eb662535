//! Memory stays flat over meta-training: the resident memory after 5,000 meta-iterations of
//! first-order MAML on sinusoids is within 10% of the memory after 100 (each task's adapted
//! clone is dropped with its graph; nothing accumulates per iteration).

use std::sync::Mutex;

use consort_core::{Event, Observer, ObserverHandle};
use consort_meta::maml::{MetaAlgorithm, MetaConfig, meta_train_sinusoid};
use consort_meta::stats::resident_memory;

#[derive(Default)]
struct MemoryProbe(Mutex<Vec<(usize, u64)>>);

impl Observer for MemoryProbe {
    fn notify(&self, event: &Event<'_>) {
        if let Event::Progress { done, .. } = event
            && (*done == 100 || done % 1000 == 0)
            && let Some(bytes) = resident_memory()
        {
            self.0.lock().unwrap().push((*done, bytes));
        }
    }
}

#[test]
fn five_thousand_meta_iterations_use_the_memory_of_one_hundred() {
    if resident_memory().is_none() {
        eprintln!("no /proc/self/statm here: nothing to measure");
        return;
    }
    let probe = std::sync::Arc::new(MemoryProbe::default());
    let config = MetaConfig {
        iterations: 5000,
        ..MetaConfig::default()
    };
    meta_train_sinusoid(
        MetaAlgorithm::FirstOrderMaml,
        &config,
        &ObserverHandle::new(probe.clone()),
    )
    .unwrap();
    let samples = probe.0.lock().unwrap().clone();
    let mib: Vec<String> = samples
        .iter()
        .map(|(i, b)| format!("{i}: {:.1} MiB", *b as f64 / (1 << 20) as f64))
        .collect();
    eprintln!("resident memory by meta-iteration: {mib:?}");
    let (first, last) = (samples[0].1 as f64, samples.last().unwrap().1 as f64);
    assert_eq!(samples[0].0, 100);
    assert!(last <= 1.1 * first, "{first} -> {last}");
}
