//! Backend and device selection.
//!
//! burn 0.22 picks the backend at run time from the [`Device`]; Cargo features decide which
//! backends are compiled in. Consort's features: `flex` (default, pure-Rust CPU), `ndarray`
//! (CPU, deprecated upstream) and `wgpu` (GPU).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::error::{ConsortError, Result};

/// A compute backend Consort can run networks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn-flex: pure-Rust CPU backend with SIMD and threads (the default).
    Flex,
    /// burn-ndarray: the older CPU backend.
    Ndarray,
    /// burn-wgpu: GPU through Vulkan/Metal/DX12.
    Wgpu,
}

impl BackendKind {
    /// Every kind, compiled in or not.
    pub const ALL: [BackendKind; 3] = [Self::Flex, Self::Ndarray, Self::Wgpu];

    /// Whether this build was compiled with the backend's Cargo feature.
    pub fn is_compiled(self) -> bool {
        match self {
            Self::Flex => cfg!(feature = "flex"),
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
        }
    }

    /// The backends compiled into this build.
    pub fn compiled() -> Vec<BackendKind> {
        Self::ALL.into_iter().filter(|k| k.is_compiled()).collect()
    }

    /// `kind` if given, else [`BackendKind::default_kind`]: how every estimator and the CLI
    /// resolve an optional backend choice.
    pub fn chosen(kind: Option<Self>) -> Result<Self> {
        match kind {
            Some(k) => Ok(k),
            None => Self::default_kind(),
        }
    }

    /// The default: `CONSORT_BACKEND` if set and valid, else the first compiled CPU backend,
    /// else wgpu. CPU comes first on purpose: burn's own default prefers wgpu even on machines
    /// without a GPU.
    pub fn default_kind() -> Result<BackendKind> {
        if let Ok(name) = std::env::var("CONSORT_BACKEND") {
            return name.parse();
        }
        [Self::Flex, Self::Ndarray, Self::Wgpu]
            .into_iter()
            .find(|k| k.is_compiled())
            .ok_or_else(|| ConsortError::Backend("no backend feature compiled in".into()))
    }

    /// The inference device of this backend (no autodiff).
    pub fn device(self) -> Result<Device> {
        match self {
            #[cfg(feature = "flex")]
            Self::Flex => return Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            Self::Ndarray => return Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => return Ok(Device::wgpu(Default::default())),
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Err(ConsortError::Backend(format!(
            "`{self}` is not compiled in; rebuild with `--features {self}` (compiled: {:?})",
            Self::compiled()
        )))
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
        })
    }
}

impl FromStr for BackendKind {
    type Err = ConsortError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flex" | "cpu" => Ok(Self::Flex),
            "ndarray" => Ok(Self::Ndarray),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            other => Err(ConsortError::Backend(format!(
                "unknown backend {other:?}; expected flex, ndarray or wgpu"
            ))),
        }
    }
}

/// The default inference device (see [`BackendKind::default_kind`]).
pub fn default_device() -> Result<Device> {
    BackendKind::default_kind()?.device()
}
