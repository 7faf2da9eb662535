//! Property tests of the argument surface: random sequences of `consort`'s flags with odd
//! values (10,000 cases) never panic the parser or the experiment they build; what parses
//! either validates or is a typed error.

use clap::Parser;
use consort_cli::args::{Cli, Command};
use proptest::prelude::*;

const FLAGS: [&str; 24] = [
    "run",
    "predict",
    "datasets",
    "fetch",
    "--config",
    "--data",
    "--label",
    "--delimiter",
    "--test",
    "--missing",
    "--drop",
    "--categorical",
    "--text",
    "--class-weight",
    "--dataset",
    "--seed",
    "--test-fraction",
    "--epochs",
    "--folds",
    "--select",
    "--out",
    "--backend",
    "--model",
    "-q",
];

const VALUES: [&str; 24] = [
    "0",
    "1",
    "-1",
    "2",
    "18446744073709551615",
    "1000000000",
    "0.25",
    "1.5",
    "nan",
    "inf",
    "",
    "iris",
    "digits",
    ";",
    "\t",
    ",,",
    "mean",
    "one-hot",
    "balanced",
    "flex",
    "wgpu",
    "/nonexistent/x.csv",
    "label",
    "é|\n",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_argument_lists_never_panic(
        words in proptest::collection::vec((any::<bool>(), 0usize..24), 0..8),
    ) {
        let mut argv = vec!["consort".to_string()];
        argv.extend(
            words
                .iter()
                .map(|&(flag, i)| if flag { FLAGS[i] } else { VALUES[i] }.to_string()),
        );
        if let Ok(cli) = Cli::try_parse_from(&argv) {
            match &cli.command {
                Some(Command::Run(args)) => {
                    let _ = args.experiment();
                }
                None => {
                    let _ = cli.run.experiment();
                }
                _ => {}
            }
        }
    }
}
