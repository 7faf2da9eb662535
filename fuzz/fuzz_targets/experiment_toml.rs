//! The experiment-file reader on arbitrary text: a config or a typed error; an accepted
//! config survives a TOML round trip.
#![no_main]

use consort_experiment::ExperimentConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(cfg) = ExperimentConfig::from_toml(text, "fuzz.toml") {
        let again = cfg.to_toml().expect("an accepted file serialises");
        ExperimentConfig::from_toml(&again, "again.toml").expect("and reads back");
    }
});
