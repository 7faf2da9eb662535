//! A download's progress: `fetch_with` tells its observer the bytes on disk as the registry
//! client writes them, against the pinned file's size, and ends at that size. In its own test
//! binary: it points the cache (`CONSORT_DATA`, process-wide) at a fresh folder, so the
//! package is really downloaded.
#![cfg(feature = "fetch")]

use std::sync::Arc;

use consort_core::{EventLog, ObserverHandle};
use consort_data::fetch::{Asset, fetch_with};

#[test]
fn a_debian_download_reports_its_bytes_up_to_the_pinned_size() {
    let cache = tempfile::tempdir().unwrap();
    // SAFETY: the only test of this binary; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("CONSORT_DATA", cache.path()) };
    let log = Arc::new(EventLog::default());
    let dir = fetch_with(Asset::Mass, &ObserverHandle::new(log.clone())).unwrap();
    assert!(dir.starts_with(cache.path()));
    let downloads: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("Download"))
        .collect();
    // The r-cran-mass package: 1,120,992 bytes, the size its checksum pins.
    let last = downloads.last().expect("a download event");
    assert!(
        last.contains("label: \"r-cran-mass\"")
            && last.contains("bytes: 1120992")
            && last.contains("total: 1120992"),
        "{last}"
    );
    let bytes: Vec<u64> = downloads
        .iter()
        .map(|l| {
            let at = l.find("bytes: ").unwrap() + 7;
            l[at..].split(',').next().unwrap().parse().unwrap()
        })
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] <= w[1]), "{bytes:?}");
    assert!(
        bytes[..bytes.len() - 1].iter().all(|&b| b < 1_120_992),
        "the end only once the client is done: {bytes:?}"
    );
    // Fetched once: a second call finds the cache and downloads nothing.
    let again = Arc::new(EventLog::default());
    fetch_with(Asset::Mass, &ObserverHandle::new(again.clone())).unwrap();
    assert!(again.lines().is_empty());
}
