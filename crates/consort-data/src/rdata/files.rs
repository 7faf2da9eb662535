//! R's data files: `.rda` / `.RData` workspaces and `.rds` objects, decompressed and handed
//! to the serialisation reader.

use std::io::Read;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::object::{RObject, RValue};
use super::reader::{bad, unserialize};

/// Decompresses what R wrote: gzip, xz or bzip2; anything else is taken as already plain.
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
        let mut out = Vec::new();
        bzip2::read::MultiBzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("bzip2: {e}")))?;
        return Ok(out);
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::decompress;

    /// Every compression R's `save()` offers comes back byte for byte; plain bytes pass.
    #[test]
    fn gzip_xz_and_bzip2_files_decompress_to_the_same_bytes() {
        let plain: Vec<u8> = b"RDX3\nX\n"
            .iter()
            .copied()
            .chain((0..5000u32).map(|i| (i % 251) as u8))
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&plain).unwrap();
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut std::io::BufReader::new(&plain[..]), &mut xz).unwrap();
        for packed in [
            gz.finish().unwrap(),
            bz.finish().unwrap(),
            xz,
            plain.clone(),
        ] {
            assert_eq!(decompress(&packed).unwrap(), plain);
        }
        // A damaged bzip2 stream is an error, not a panic.
        let mut bad = b"BZh9".to_vec();
        bad.extend_from_slice(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 1, 2, 3]);
        assert!(decompress(&bad).is_err());
    }
}
