//! Adaptive strategy switching (the `adaptive` example's table): over three transfer
//! scenarios (few labels, many labels, a shifted domain), averaged over seeds 0-2, the
//! controller is within one point of the best fixed strategy in each and better on average
//! than any one fixed strategy.

use consort_examples::adaptive::{adaptive_over_seeds, switch_chart};

#[test]
fn the_controller_tracks_the_best_fixed_strategy_in_each_scenario() {
    let summary = adaptive_over_seeds(&[0, 1, 2]).unwrap();
    for m in &summary.means {
        let (name, fixed, adaptive) = (&m.name, &m.fixed, &m.adaptive);
        let line: Vec<String> = fixed
            .iter()
            .map(|f| format!("{} {:.4}", f.0, f.1))
            .collect();
        eprintln!("{name}: {}; adaptive {adaptive:.4}", line.join(", "));
        let best = fixed.iter().map(|f| f.1).fold(0.0, f64::max);
        assert!(
            *adaptive >= best - 0.01,
            "{name}: adaptive {adaptive} vs best fixed {best}"
        );
    }
    for (seed, outcomes) in &summary.runs {
        for o in outcomes {
            let line: Vec<String> = o.fixed.iter().map(|f| format!("{:.4}", f.1)).collect();
            eprintln!(
                "seed {seed} {}: {} adaptive {:.4}",
                o.name,
                line.join(" "),
                o.adaptive
            );
            assert!(!o.switches.is_empty(), "{}: no switch logged", o.name);
            // The report's figure: the curves with one marker per switch.
            let chart = switch_chart(o);
            assert_eq!(chart.markers.len(), o.switches.len());
            assert!(chart.to_svg().unwrap().contains(&o.switches[0].stage));
        }
    }
    let adaptive = summary.adaptive_average();
    for (k, (name, _)) in summary.means[0].fixed.iter().enumerate() {
        let fixed = summary.fixed_average(k);
        assert!(
            adaptive > fixed,
            "average: adaptive {adaptive} vs {name} {fixed}"
        );
    }
}
