//! R's lazy-load databases: what an installed package keeps its data sets in
//! (`data/Rdata.rdx`, the index, and `data/Rdata.rdb`, the records). The index is an
//! `.rds`-style object `list(variables = list(name = c(offset, length)), references,
//! compressed)`; each record is a 4-byte big-endian uncompressed length followed by a
//! zlib stream (`compressed = TRUE`) or, for the other codes, a type byte and its data:
//! `'0'` stored, `'1'` zlib, `'2'` bzip2, `'Z'` raw LZMA2 (what `xz` compression writes).

use std::io::Read;
use std::path::{Path, PathBuf};

use consort_core::{ConsortError, Result};

use super::files::{read_rds, with_source};
use super::object::{RObject, RValue};
use super::reader::unserialize;

/// An opened lazy-load database.
#[derive(Debug, Clone)]
pub struct LazyLoadDb {
    rdb: PathBuf,
    /// Variables and their (offset, length) in the `.rdb`.
    variables: Vec<(String, usize, usize)>,
}

fn bad(path: &Path, message: impl Into<String>) -> ConsortError {
    ConsortError::Parse {
        source_name: path.display().to_string(),
        line: 0,
        message: message.into(),
    }
}

impl LazyLoadDb {
    /// Opens `<stem>.rdx` and `<stem>.rdb` (pass either, or the stem).
    pub fn open(path: &Path) -> Result<Self> {
        let rdx = path.with_extension("rdx");
        let rdb = path.with_extension("rdb");
        let index = read_rds(&rdx)?;
        let entries = index
            .names()
            .and_then(|names| {
                let RValue::List(items) = &index.value else {
                    return None;
                };
                names
                    .iter()
                    .position(|n| n == "variables")
                    .map(|i| items[i].clone())
            })
            .ok_or_else(|| bad(&rdx, "the index has no `variables`"))?;
        let names = entries.names().unwrap_or_default();
        let RValue::List(positions) = entries.value else {
            return Err(bad(&rdx, "`variables` is not a list"));
        };
        let mut variables = Vec::with_capacity(names.len());
        for (name, at) in names.into_iter().zip(positions) {
            let pair = match at.value {
                RValue::Integer(v) if v.len() == 2 => v
                    .into_iter()
                    .map(|x| x.and_then(|x| usize::try_from(x).ok()))
                    .collect::<Option<Vec<_>>>(),
                RValue::Real(v) if v.len() == 2 => {
                    Some(v.into_iter().map(|x| x as usize).collect())
                }
                _ => None,
            }
            .ok_or_else(|| bad(&rdx, format!("{name}: not an (offset, length) pair")))?;
            variables.push((name, pair[0], pair[1]));
        }
        Ok(Self { rdb, variables })
    }

    /// The variables it holds.
    pub fn names(&self) -> Vec<&str> {
        self.variables.iter().map(|v| v.0.as_str()).collect()
    }

    /// Reads variable `name`.
    pub fn get(&self, name: &str) -> Result<RObject> {
        let (_, offset, length) = self.variables.iter().find(|v| v.0 == name).ok_or_else(|| {
            ConsortError::config(format!(
                "{} holds no {name:?}; it holds {:?}",
                self.rdb.display(),
                self.names()
            ))
        })?;
        let mut file =
            std::fs::File::open(&self.rdb).map_err(|e| ConsortError::io(&self.rdb, e))?;
        let mut record = vec![0u8; *length];
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(*offset as u64))
            .and_then(|_| file.read_exact(&mut record))
            .map_err(|e| ConsortError::io(&self.rdb, e))?;
        let plain = decompress_record(&record).map_err(|m| bad(&self.rdb, m))?;
        unserialize(&plain).map_err(|e| with_source(e, &self.rdb))
    }
}

/// One record's bytes, decompressed.
fn decompress_record(record: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if record.len() < 5 {
        return Err("a record shorter than its header".into());
    }
    let expected = u32::from_be_bytes([record[0], record[1], record[2], record[3]]) as usize;
    let zlib = |data: &[u8]| {
        let mut out = Vec::with_capacity(expected);
        flate2::read::ZlibDecoder::new(data)
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| format!("zlib: {e}"))
    };
    let out = match record[4] {
        // A zlib stream starts 0x78: `compressed = TRUE`, no type byte.
        0x78 => zlib(&record[4..])?,
        b'1' => zlib(&record[5..])?,
        b'0' => record[5..].to_vec(),
        b'Z' => {
            let mut out = Vec::with_capacity(expected);
            lzma_rs::lzma2_decompress(&mut std::io::BufReader::new(&record[5..]), &mut out)
                .map_err(|e| format!("LZMA2: {e}"))?;
            out
        }
        b'2' => {
            let mut out = Vec::with_capacity(expected);
            std::io::Read::read_to_end(&mut bzip2::read::BzDecoder::new(&record[5..]), &mut out)
                .map_err(|e| format!("bzip2: {e}"))?;
            out
        }
        t => return Err(format!("unknown record compression {t:#x}")),
    };
    if out.len() != expected {
        return Err(format!(
            "a record decompressed to {} bytes, its header says {expected}",
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::decompress_record;

    /// A record: the payload's length (big-endian), then the compressed payload.
    fn record(kind: Option<u8>, packed: &[u8], len: usize) -> Vec<u8> {
        let mut r = (len as u32).to_be_bytes().to_vec();
        r.extend(kind);
        r.extend_from_slice(packed);
        r
    }

    /// Each of R's record compressions (stored, zlib with and without its type byte,
    /// bzip2) comes back byte for byte; a wrong length or a damaged stream is an error.
    #[test]
    fn stored_zlib_and_bzip2_records_decompress() {
        let plain: Vec<u8> = (0..3000u32).map(|i| (i % 97) as u8).collect();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&plain).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&plain).unwrap();
        let bz = bz.finish().unwrap();
        for r in [
            record(Some(b'0'), &plain, plain.len()),
            record(None, &zlib, plain.len()),
            record(Some(b'1'), &zlib, plain.len()),
            record(Some(b'2'), &bz, plain.len()),
        ] {
            assert_eq!(decompress_record(&r).unwrap(), plain);
        }
        assert!(decompress_record(&record(Some(b'2'), &bz, plain.len() + 1)).is_err());
        assert!(decompress_record(&record(Some(b'2'), &bz[..bz.len() / 2], plain.len())).is_err());
    }
}
