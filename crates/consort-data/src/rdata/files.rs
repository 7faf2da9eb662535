//! R's data files: `.rda` / `.RData` workspaces and `.rds` objects, decompressed and handed
//! to the serialisation reader.

use std::io::Read;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::object::{RObject, RValue};
use super::reader::unserialize;

pub(super) fn bad(message: impl Into<String>) -> ConsortError {
    ConsortError::Parse {
        source_name: "R serialization".into(),
        line: 0,
        message: message.into(),
    }
}

/// Decompresses what R wrote: gzip, xz, bzip2 is refused by name, anything else is taken as
/// already plain.
pub(crate) fn decompress(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("gzip: {e}")))?;
        return Ok(out);
    }
    if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out)
            .map_err(|e| bad(format!("xz: {e}")))?;
        return Ok(out);
    }
    if bytes.starts_with(b"BZh") {
        return Err(bad(
            "bzip2-compressed R file: resave it with compress = \"xz\" or \"gzip\"",
        ));
    }
    Ok(bytes.to_vec())
}

/// Reads an `.rda` / `.RData` file (`save()`): its variables by name.
pub fn read_rda(path: &Path) -> Result<Vec<(String, RObject)>> {
    let bytes = std::fs::read(path).map_err(|e| ConsortError::io(path, e))?;
    let plain = decompress(&bytes).map_err(|e| with_source(e, path))?;
    let body = plain
        .strip_prefix(b"RDX2\n")
        .or_else(|| plain.strip_prefix(b"RDX3\n"))
        .ok_or_else(|| with_source(bad("not an R workspace (no RDX2/RDX3 magic)"), path))?;
    let object = unserialize(body).map_err(|e| with_source(e, path))?;
    match object.value {
        RValue::Pairlist(cells) => Ok(cells
            .into_iter()
            .map(|(tag, value)| (tag.unwrap_or_default(), value))
            .collect()),
        _ => Err(with_source(bad("a workspace holds a pairlist"), path)),
    }
}

/// Reads an `.rds` file (`saveRDS()`): one object.
pub fn read_rds(path: &Path) -> Result<RObject> {
    let bytes = std::fs::read(path).map_err(|e| ConsortError::io(path, e))?;
    let plain = decompress(&bytes).map_err(|e| with_source(e, path))?;
    unserialize(&plain).map_err(|e| with_source(e, path))
}

pub(crate) fn with_source(e: ConsortError, path: &Path) -> ConsortError {
    match e {
        ConsortError::Parse { message, .. } => ConsortError::Parse {
            source_name: path.display().to_string(),
            line: 0,
            message,
        },
        other => other,
    }
}
